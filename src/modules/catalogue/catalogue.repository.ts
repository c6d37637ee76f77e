import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { Concert, Schedule, Venue, type Grade, type Prices } from './catalogue.entities.js';

export interface ScheduleWithVenue {
  id: number;
  concertId: number;
  startsAt: Date;
  venue: { id: number; name: string };
}

export class CatalogueRepository {
  /** Creates a venue and its seats in one transaction; null when the name is taken. */
  async createVenue(
    em: EntityManager,
    name: string,
    seats: { label: string; grade: Grade }[],
  ): Promise<{ id: number; name: string; seatCount: number } | null> {
    try {
      return await em.transactional(async (tx) => {
        const [venue] = await tx.execute<{ id: number }[]>(
          `insert into venues (name) values (?) returning id`,
          [name],
        );
        const venueId = venue!.id;
        // One statement per 1,000 seats keeps parameter counts far below PostgreSQL's limit.
        for (let i = 0; i < seats.length; i += 1000) {
          const chunk = seats.slice(i, i + 1000);
          await tx.execute(
            `insert into seats (venue_id, label, grade) values ${chunk.map(() => '(?, ?, ?)').join(', ')}`,
            chunk.flatMap((s) => [venueId, s.label, s.grade]),
          );
        }
        return { id: venueId, name, seatCount: seats.length };
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) return null;
      throw err;
    }
  }

  findVenue(em: EntityManager, id: number): Promise<Venue | null> {
    return em.findOne(Venue, { id });
  }

  findVenueByName(em: EntityManager, name: string): Promise<Venue | null> {
    return em.findOne(Venue, { name });
  }

  async createConcert(
    em: EntityManager,
    data: { title: string; artist: string; saleOpensAt: Date },
  ): Promise<Concert> {
    const concert = em.create(Concert, data);
    await em.flush();
    return concert;
  }

  findConcert(em: EntityManager, id: number): Promise<Concert | null> {
    return em.findOne(Concert, { id });
  }

  findConcertByTitle(em: EntityManager, title: string): Promise<Concert | null> {
    return em.findOne(Concert, { title });
  }

  /** Creates the schedule and its seat inventory (one row per venue seat) together. */
  async createSchedule(
    em: EntityManager,
    data: { concertId: number; venueId: number; startsAt: Date; prices: Prices },
  ): Promise<{ schedule: Schedule; totalSeats: number }> {
    return em.transactional(async (tx) => {
      const schedule = tx.create(Schedule, {
        concertId: data.concertId,
        venueId: data.venueId,
        startsAt: data.startsAt,
        priceVip: data.prices.VIP,
        priceR: data.prices.R,
        priceS: data.prices.S,
        priceA: data.prices.A,
      });
      await tx.flush();
      const inserted = await tx.execute(
        `insert into schedule_seats (schedule_id, seat_id)
         select ?, id from seats where venue_id = ? order by id returning id`,
        [schedule.id, data.venueId],
      );
      return { schedule, totalSeats: inserted.length };
    });
  }

  async listConcerts(em: EntityManager): Promise<Concert[]> {
    return em.find(Concert, {}, { orderBy: { saleOpensAt: 'asc', id: 'asc' } });
  }

  /** Schedules that have not started yet, with their venue, for the given concerts. */
  async upcomingSchedules(
    em: EntityManager,
    concertIds: number[],
    now: Date,
  ): Promise<ScheduleWithVenue[]> {
    if (concertIds.length === 0) return [];
    const rows = await em.execute<
      { id: number; concertId: number; startsAt: Date; venueId: number; venueName: string }[]
    >(
      `select s.id, s.concert_id as "concertId", s.starts_at as "startsAt", v.id as "venueId", v.name as "venueName"
       from schedules s join venues v on v.id = s.venue_id
       where s.concert_id in (${concertIds.map(() => '?').join(', ')}) and s.starts_at > ?
       order by s.starts_at, s.id`,
      [...concertIds, now],
    );
    return rows.map((r) => ({
      id: r.id,
      concertId: r.concertId,
      startsAt: new Date(r.startsAt),
      venue: { id: r.venueId, name: r.venueName },
    }));
  }

  /** Every venue with its number of seats (the operators' console), newest first. */
  async listVenues(em: EntityManager): Promise<{ id: number; name: string; seatCount: number }[]> {
    const rows = await em.execute<{ id: number; name: string; seatCount: string }[]>(
      `select v.id, v.name, count(s.id) as "seatCount"
       from venues v left join seats s on s.venue_id = v.id
       group by v.id order by v.id desc`,
    );
    return rows.map((r) => ({ id: r.id, name: r.name, seatCount: Number(r.seatCount) }));
  }

  /**
   * Upcoming schedules of the given concerts with their seats counted by state, in one statement
   * (the operators' console). A hold past its time counts as available, as for fans.
   */
  async scheduleSeatCounts(em: EntityManager, concertIds: number[], now: Date) {
    if (concertIds.length === 0) return [];
    const rows = await em.execute<
      {
        id: number;
        concertId: number;
        startsAt: Date;
        venueId: number;
        venueName: string;
        total: string;
        held: string;
        sold: string;
      }[]
    >(
      `select s.id, s.concert_id as "concertId", s.starts_at as "startsAt",
              v.id as "venueId", v.name as "venueName", count(ss.id) as total,
              count(ss.id) filter (where ss.status = 'held' and ss.held_until > ?) as held,
              count(ss.id) filter (where ss.status = 'sold') as sold
       from schedules s
       join venues v on v.id = s.venue_id
       left join schedule_seats ss on ss.schedule_id = s.id
       where s.concert_id in (${concertIds.map(() => '?').join(', ')}) and s.starts_at > ?
       group by s.id, v.id
       order by s.starts_at, s.id`,
      [now, ...concertIds, now],
    );
    return rows.map((r) => {
      const total = Number(r.total);
      const held = Number(r.held);
      const sold = Number(r.sold);
      return {
        id: r.id,
        concertId: r.concertId,
        startsAt: new Date(r.startsAt).toISOString(),
        venue: { id: r.venueId, name: r.venueName },
        totalSeats: total,
        availableSeats: total - held - sold,
        heldSeats: held,
        soldSeats: sold,
      };
    });
  }

  async countVenues(em: EntityManager): Promise<number> {
    return em.count(Venue, {});
  }

  /** Sale window of a concert: when it opens, and when its last schedule starts (null if none). */
  async saleWindow(
    em: EntityManager,
    concertId: number,
  ): Promise<{ saleOpensAt: Date; lastStartsAt: Date | null } | null> {
    const rows = await em.execute<{ saleOpensAt: Date; lastStartsAt: Date | null }[]>(
      `select c.sale_opens_at as "saleOpensAt", max(s.starts_at) as "lastStartsAt"
       from concerts c left join schedules s on s.concert_id = c.id
       where c.id = ? group by c.id`,
      [concertId],
    );
    const row = rows[0];
    return row
      ? {
          saleOpensAt: new Date(row.saleOpensAt),
          lastStartsAt: row.lastStartsAt ? new Date(row.lastStartsAt) : null,
        }
      : null;
  }

  /**
   * Seats of a concert's schedules on sale now (sale open, not started): available (lapsed holds
   * included) and held (live holds), summed from the counters in one query.
   */
  async seatsOnSale(
    em: EntityManager,
    concertId: number,
    now: Date,
  ): Promise<{ available: number; held: number }> {
    const [row] = await em.execute<{ available: string | null; held: string | null }[]>(
      `select sum(s.available_seats + l.lapsed) as available, sum(s.held_seats - l.lapsed) as held
       from schedules s join concerts c on c.id = s.concert_id
       cross join lateral (select count(*) as lapsed from schedule_seats ss
         where ss.schedule_id = s.id and ss.status = 'held' and ss.held_until <= ?) l
       where s.concert_id = ? and c.sale_opens_at <= ? and s.starts_at > ?`,
      [now, concertId, now, now],
    );
    return { available: Number(row?.available ?? 0), held: Number(row?.held ?? 0) };
  }

  async concertOfSchedule(em: EntityManager, scheduleId: number): Promise<number | null> {
    const rows = await em.execute<{ concertId: number }[]>(
      `select concert_id as "concertId" from schedules where id = ?`,
      [scheduleId],
    );
    return rows[0]?.concertId ?? null;
  }
}
