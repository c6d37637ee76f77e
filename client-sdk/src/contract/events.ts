import { z } from 'zod';
import { IsoDateTime } from './common.js';
import type { ErrorCode } from './errors.js';
import { QUEUE_END_REASONS } from './names.js';
import type { QueueProgress, QueueSocketStatus } from './queue.js';

// Socket.IO protocol (SPEC §5): namespace `/queue`, handshake `auth: {token: <queueToken>}`.
// These maps type both ends: the server imports them from here.

export const QueueAdmitted = z.object({
  concertId: z.number().int(),
  activeUntil: IsoDateTime,
  /** Beyond SPEC §5: when the leader's tick admitted the fan (for notice-latency measurements). */
  admittedAt: IsoDateTime.optional(),
});
export type QueueAdmitted = z.infer<typeof QueueAdmitted>;

export const QueueEndReason = z.enum(QUEUE_END_REASONS);
export type QueueEndReason = z.infer<typeof QueueEndReason>;
export const QueueEnded = z.object({ concertId: z.number().int(), reason: QueueEndReason });
export type QueueEnded = z.infer<typeof QueueEnded>;

export const SeatStatus = z.enum(['available', 'held', 'sold']);
export type SeatStatus = z.infer<typeof SeatStatus>;
export const SeatsChanged = z.object({
  scheduleId: z.number().int(),
  availableSeats: z.number().int(),
  /**
   * The schedule's seat version after these changes. Each seat change advances it by one, so a
   * client whose seat map is at version v applies an event when `version - changes.length === v`,
   * ignores it when `version <= v`, and reloads the map (`Seat-Map-Version` header) otherwise.
   */
  version: z.number().int(),
  changes: z.array(z.object({ seatId: z.number().int(), status: SeatStatus })),
});
export type SeatsChanged = z.infer<typeof SeatsChanged>;

export const SeatsSubscription = z.strictObject({
  scheduleId: z.number().int().positive().max(2_147_483_647),
});
export type SeatsSubscription = z.infer<typeof SeatsSubscription>;

export interface AckError {
  code: ErrorCode;
  message: string;
}
export type AckResult<T> = { ok: true; data: T } | { ok: false; error: AckError };
export type Ack<T> = (result: AckResult<T>) => void;

export interface ServerToClientEvents {
  'queue:status': (status: QueueSocketStatus) => void;
  'queue:progress': (frame: QueueProgress) => void;
  'queue:admitted': (payload: QueueAdmitted) => void;
  'queue:ended': (payload: QueueEnded) => void;
  'seats:changed': (payload: SeatsChanged) => void;
}

export interface ClientToServerEvents {
  'queue:leave': (ack: Ack<null>) => void;
  /** The fan's exact status now (after a gap in tick numbers, or whenever in doubt). */
  'queue:sync': (ack: Ack<QueueSocketStatus>) => void;
  'seats:subscribe': (payload: SeatsSubscription, ack: Ack<SeatsSubscription>) => void;
  'seats:unsubscribe': (payload: SeatsSubscription, ack: Ack<SeatsSubscription>) => void;
}

/** connect_error codes the handshake can fail with (error.message is the code, error.data.code too). */
export type HandshakeErrorCode = Extract<
  ErrorCode,
  'QUEUE_TOKEN_INVALID' | 'QUEUE_ENTRY_NOT_FOUND' | 'ADMISSION_EXPIRED'
>;
