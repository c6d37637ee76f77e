import { z } from 'zod';
import { IsoDateTime, Prices } from './common.js';
import { VenueRef } from './catalogue.js';
import { POLICY_LIMITS, type PolicyLimitName } from './names.js';

export const QueueState = z.enum(['prequeue', 'waiting', 'active']);
export type QueueState = z.infer<typeof QueueState>;

export const QueueStatus = z.object({
  concertId: z.number().int(),
  status: QueueState,
  /** 1 = next to be admitted; null when active; in the pre-queue, the number of fans in it. */
  position: z.number().int().nullable(),
  estimatedWaitSeconds: z.number().int().nullable(),
  activeUntil: IsoDateTime.nullable(),
  /** SPEC §2 "Sold-out awareness": no seat of any schedule on sale is available. */
  soldOut: z.boolean(),
  /** Seats held (not sold) now: they may come back. */
  heldSeats: z.number().int(),
});
export type QueueStatus = z.infer<typeof QueueStatus>;

/** `queue:status` on the socket (SPEC §5): the position is exact as of the line's tick `tick`. */
export const QueueSocketStatus = QueueStatus.extend({
  /** The fan's arrival number in the waiting line (null in the pre-queue and when active). */
  ticket: z.number().int().nullable(),
  /** The admission tick of the concert's line this status is exact as of. */
  tick: z.number().int(),
});
export type QueueSocketStatus = z.infer<typeof QueueSocketStatus>;

/**
 * `queue:progress` (SPEC §5): once per tick per concert, the same frame for every waiting socket.
 * A fan exact as of tick `t` (position `p`, ticket `k`) applies frames t+1, t+2, … in order:
 * `p := p − admitted − |{d ∈ departed : d < k}|`. `departed: null` means the frame cannot be
 * applied (over 256 departures, or the pre-queue shuffle): each waiting socket gets its own
 * `queue:status` for that tick.
 */
export const QueueProgress = z.object({
  concertId: z.number().int(),
  tick: z.number().int(),
  admitted: z.number().int(),
  departed: z.array(z.number().int()).nullable(),
  ratePerMinute: z.number().nullable(),
  prequeue: z.number().int(),
  soldOut: z.boolean(),
  heldSeats: z.number().int(),
});
export type QueueProgress = z.infer<typeof QueueProgress>;

/** Above this many departures in one tick the frame says `departed: null` (SPEC §5). */
export const MAX_DEPARTED_PER_FRAME = 256;

export const JoinResponse = QueueStatus.extend({
  queueToken: z.string(),
  /** The fan's entry in the provably fair pre-queue's published order (SPEC §2): 16 hex chars. */
  ref: z.string(),
});
export type JoinResponse = z.infer<typeof JoinResponse>;

/** `POST /concerts/:id/queue` body: a solved join challenge when the concert asks for one. */
export const JoinBody = z.strictObject({
  challenge: z
    .strictObject({
      nonce: z.string().min(1).max(128),
      /** Any string of at most 64 characters such that SHA-256(nonce ":" solution) starts with `bits` zero bits. */
      solution: z.string().max(64),
    })
    .optional(),
});
export type JoinBody = z.infer<typeof JoinBody>;

/** `GET /concerts/:id/queue/challenge` (SPEC §2 "Join challenge"): bound to the user, single use. */
export const JoinChallenge = z.object({
  nonce: z.string(),
  /** Zero bits the solution's hash must start with (0: joins need no challenge now). */
  bits: z.number().int().min(0).max(24),
  expiresAt: IsoDateTime,
});
export type JoinChallenge = z.infer<typeof JoinChallenge>;

/** `GET /concerts/:id/queue/fairness` (SPEC §2 "Provably fair pre-queue"). */
export const QueueFairness = z.object({
  /** hex SHA-256 of the seed, published before the sale. */
  commitment: z.string(),
  algorithm: z.literal('fy-sha256-v1'),
  /** The 32-byte seed as hex: null until the pre-queue is shuffled at saleOpensAt. */
  seed: z.string().nullable(),
  /** The pre-queue's refs in admission order: null until the shuffle. */
  order: z.array(z.string()).nullable(),
});
export type QueueFairness = z.infer<typeof QueueFairness>;

export const QueuePolicy = z.object({
  maxActive: z.number().int(),
  admitPerMinute: z.number().int(),
  maxWaiting: z.number().int(),
  activeIdleSeconds: z.number().int(),
  activeMaxSeconds: z.number().int(),
  paused: z.boolean(),
  /** Join challenge difficulty (SPEC §2): 0 = off. */
  challengeBits: z.number().int(),
});
export type QueuePolicy = z.infer<typeof QueuePolicy>;

const limited = (name: PolicyLimitName) =>
  z.number().int().min(POLICY_LIMITS[name].min).max(POLICY_LIMITS[name].max);
export const QueuePolicyPatch = z
  .strictObject({
    maxActive: limited('maxActive'),
    admitPerMinute: limited('admitPerMinute'),
    maxWaiting: limited('maxWaiting'),
    activeIdleSeconds: limited('activeIdleSeconds'),
    activeMaxSeconds: limited('activeMaxSeconds'),
    paused: z.boolean(),
    challengeBits: limited('challengeBits'),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'give at least one field to change');
export type QueuePolicyPatch = z.infer<typeof QueuePolicyPatch>;

/** `POST /admin/concerts/:id/queue/close`: how many waiting and pre-queue places ended. */
export const QueueCloseResponse = z.object({ ended: z.number().int() });
export type QueueCloseResponse = z.infer<typeof QueueCloseResponse>;

export const AdminQueueStats = z.object({
  waiting: z.number().int(),
  prequeue: z.number().int(),
  active: z.number().int(),
  admittedTotal: z.number().int(),
  admissionRatePerMinute: z.number().nullable(),
  policy: QueuePolicy,
  leader: z.object({ instanceId: z.string(), since: IsoDateTime }).nullable(),
  /** An operator closed the line (POST …/queue/close): it refuses joins. */
  closed: z.boolean(),
  /**
   * Admissions of the last minutes, per bucket of `bucketSeconds` (oldest first; the leader
   * closes a bucket every 10 ticks), for the operators' console chart.
   */
  admissionHistory: z.object({
    bucketSeconds: z.number(),
    buckets: z.array(z.object({ at: IsoDateTime, admitted: z.number().int() })),
  }),
});
export type AdminQueueStats = z.infer<typeof AdminQueueStats>;

export const ScheduleAvailability = z.object({
  id: z.number().int(),
  startsAt: IsoDateTime,
  venue: VenueRef,
  totalSeats: z.number().int(),
  availableSeats: z.number().int(),
  prices: Prices,
});
export type ScheduleAvailability = z.infer<typeof ScheduleAvailability>;
export const ScheduleAvailabilityList = z.array(ScheduleAvailability);

/** A schedule's seats as operators see them: held and sold apart (`GET /admin/concerts`). */
export const AdminScheduleSeats = z.object({
  id: z.number().int(),
  startsAt: IsoDateTime,
  venue: VenueRef,
  totalSeats: z.number().int(),
  availableSeats: z.number().int(),
  heldSeats: z.number().int(),
  soldSeats: z.number().int(),
});
export type AdminScheduleSeats = z.infer<typeof AdminScheduleSeats>;

/** Every concert with its upcoming schedules' seats and its line (`GET /admin/concerts`). */
export const AdminConcertOverview = z.object({
  id: z.number().int(),
  title: z.string(),
  artist: z.string(),
  saleOpensAt: IsoDateTime,
  /** On sale and no seat of any upcoming schedule available (every one held or sold). */
  soldOut: z.boolean(),
  schedules: z.array(AdminScheduleSeats),
  queue: AdminQueueStats,
});
export type AdminConcertOverview = z.infer<typeof AdminConcertOverview>;
export const AdminConcertOverviewList = z.array(AdminConcertOverview);

export const AdminVenue = z.object({
  id: z.number().int(),
  name: z.string(),
  seatCount: z.number().int(),
});
export type AdminVenue = z.infer<typeof AdminVenue>;
export const AdminVenueList = z.array(AdminVenue);
