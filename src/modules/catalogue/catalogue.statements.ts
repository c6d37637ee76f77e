import type { ScheduleAvailability } from '@lineup/client-sdk/contract';
import type { PreparedStatements } from '../../infra/db/prepared.js';

// The admitted fan's schedules list, once per fan's flow: a prepared statement (parsed and planned
// once per connection) that answers in the contract's shape, built by PostgreSQL as JSON, so the
// instance neither hydrates entities nor maps rows. One statement also tells an unknown concert
// (no row) from one with no upcoming schedule (an empty list).
// Availability comes from the per-schedule counters (kept by the seat triggers in every booking
// transaction): no seat is counted. Held seats count as unavailable until their hold expires,
// even before any background job has released them: lapsed holds not yet swept are found through
// the partial index on held seats (normally none).
export const SCHEDULES_WITH_AVAILABILITY = {
  name: 'catalogue_schedules',
  text: `select coalesce((
      select json_agg(json_build_object('id', s.id, 'startsAt', booking_iso(s.starts_at),
          'venue', json_build_object('id', v.id, 'name', v.name), 'totalSeats', s.total_seats,
          'availableSeats', s.available_seats + (select count(*) from schedule_seats ss
             where ss.schedule_id = s.id and ss.status = 'held' and ss.held_until <= $2),
          'prices', json_build_object('VIP', s.price_vip, 'R', s.price_r, 'S', s.price_s,
                                      'A', s.price_a))
        order by s.starts_at, s.id)
      from schedules s join venues v on v.id = s.venue_id
      where s.concert_id = c.id and s.starts_at > $2), '[]') as schedules
    from concerts c where c.id = $1`,
};

export class CatalogueStatements {
  constructor(private readonly db: PreparedStatements) {}

  /** Upcoming schedules of a concert with seat counts; null when there is no such concert. */
  async schedulesWithAvailability(
    concertId: number,
    now: Date,
  ): Promise<ScheduleAvailability[] | null> {
    const [row] = await this.db.query<{ schedules: ScheduleAvailability[] }>(
      SCHEDULES_WITH_AVAILABILITY,
      [concertId, now],
    );
    return row ? row.schedules : null;
  }
}
