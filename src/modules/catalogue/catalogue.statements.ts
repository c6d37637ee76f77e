import type { PreparedStatements } from '../../infra/db/prepared.js';

// The admitted fan's schedules list, once per fan's flow. What changes about a schedule (its
// seat counts) is read on every call; what never changes after its creation (start, venue,
// prices) is read once per instance (schedules-list.cache.ts keeps it serialized).
//
// Availability comes from the per-schedule counters (kept by the seat triggers and the booking
// functions in every booking transaction): no seat is counted. Held seats count as unavailable
// until their hold expires, even before any background job has released them: lapsed holds not yet
// swept are found once per call from the lapsed held reservations (one range of the partial index
// on held reservations' deadlines, normally empty, whatever the number of schedules) and their live
// items, one per seat they hold: booking_hold writes a seat's held_until from its reservation's
// expires_at, and a reservation leaves 'held' in the transaction that frees its seats and ends
// its items. (Not their seats in schedule_seats: the planner takes the partial index of every
// held seat for that, whose size it cannot tell in a generic plan.) Not one look at the seats
// per schedule; materialized: computed once, not per schedule.
// One statement also tells an unknown concert (no row) from one with no upcoming schedule.
export const SCHEDULES_WITH_AVAILABILITY = {
  name: 'catalogue_schedules',
  text: `with lapsed as materialized (
      select r.schedule_id, sum((select count(*) from reservation_items ri
          where ri.reservation_id = r.id and ri.live))::int as n
      from reservations r
      where r.status = 'held' and r.expires_at <= $2 and r.concert_id = $1
      group by r.schedule_id)
    select coalesce((
      select json_agg(json_build_array(s.id, s.total_seats, s.available_seats + coalesce(l.n, 0))
        order by s.starts_at, s.id)
      from schedules s left join lapsed l on l.schedule_id = s.id
      where s.concert_id = c.id and s.starts_at > $2), '[]') as schedules
    from concerts c where c.id = $1`,
};

/** What never changes about a concert's schedules, for those the instance has not kept yet. */
export const SCHEDULE_FACTS = {
  name: 'catalogue_schedule_facts',
  text: `select s.id, booking_iso(s.starts_at) as "startsAt", v.id as "venueId",
      v.name as "venueName", s.price_vip as "VIP", s.price_r as "R", s.price_s as "S", s.price_a as "A"
    from schedules s join venues v on v.id = s.venue_id where s.id = any($1::int[])`,
};

/** A schedule's seat counts: [id, totalSeats, availableSeats]. */
export type ScheduleCounts = [id: number, totalSeats: number, availableSeats: number];

export interface ScheduleFactsRow {
  id: number;
  startsAt: string;
  venueId: number;
  venueName: string;
  VIP: number;
  R: number;
  S: number;
  A: number;
}

export class CatalogueStatements {
  constructor(private readonly db: PreparedStatements) {}

  /** Upcoming schedules of a concert with seat counts, in list order; null: no such concert. */
  async scheduleCounts(concertId: number, now: Date): Promise<ScheduleCounts[] | null> {
    const [row] = await this.db.query<{ schedules: ScheduleCounts[] }>(
      SCHEDULES_WITH_AVAILABILITY,
      [concertId, now],
    );
    return row ? row.schedules : null;
  }

  scheduleFacts(scheduleIds: number[]): Promise<ScheduleFactsRow[]> {
    return this.db.query<ScheduleFactsRow>(SCHEDULE_FACTS, [scheduleIds]);
  }
}
