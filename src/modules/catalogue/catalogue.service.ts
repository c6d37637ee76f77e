import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../infra/app-error.js';
import type { ConcertListItem, CreateVenueBody } from '@lineup/client-sdk/contract';
import type { AdminConcertOverview } from '@lineup/client-sdk/contract';
import type { Prices } from '@lineup/client-sdk/contract';
import type { CatalogueRepository } from './catalogue.repository.js';
import type { JsonText } from '../../infra/http/hot-http.js';
import type { SchedulesList } from './schedules-list.cache.js';
import type { Concert, Grade } from './catalogue.entities.js';

export type Clock = () => Date;

export class CatalogueService {
  constructor(
    private readonly em: () => EntityManager,
    private readonly repo: CatalogueRepository,
    private readonly schedulesList: SchedulesList,
    /** Told of each new concert before its creation is answered (the queue draws its fairness seed). */
    private readonly onConcertCreated: (concertId: number) => Promise<void>,
    private readonly now: Clock = () => new Date(),
  ) {}

  async createVenue(body: CreateVenueBody) {
    const seats: { label: string; grade: Grade }[] =
      'seats' in body
        ? body.seats
        : body.rows.flatMap((row) =>
            Array.from({ length: row.seats }, (_, i) => ({
              label: `${row.name}-${i + 1}`,
              grade: row.grade,
            })),
          );
    const labels = new Set<string>();
    const duplicates = seats
      .filter((s) => labels.size === labels.add(s.label).size)
      .map((s) => s.label);
    if (duplicates.length > 0) {
      throw new AppError('VALIDATION_FAILED', {
        details: {
          issues: [
            {
              path: 'body.seats',
              message: `duplicate labels: ${[...new Set(duplicates)].slice(0, 10).join(', ')}`,
            },
          ],
        },
      });
    }
    const venue = await this.repo.createVenue(this.em(), body.name, seats);
    if (!venue) throw new AppError('VENUE_NAME_TAKEN');
    return venue;
  }

  async createConcert(body: { title: string; artist: string; saleOpensAt: string }) {
    const concert = await this.repo.createConcert(this.em(), {
      ...body,
      saleOpensAt: new Date(body.saleOpensAt),
    });
    await this.onConcertCreated(concert.id);
    return concertView(concert);
  }

  async getConcert(concertId: number): Promise<Concert> {
    const concert = await this.repo.findConcert(this.em(), concertId);
    if (!concert) throw new AppError('CONCERT_NOT_FOUND');
    return concert;
  }

  async createSchedule(
    concertId: number,
    body: { venueId: number; startsAt: string; prices: Prices },
  ) {
    const em = this.em();
    await this.getConcert(concertId);
    const venue = await this.repo.findVenue(em, body.venueId);
    if (!venue) throw new AppError('VENUE_NOT_FOUND');
    const startsAt = new Date(body.startsAt);
    if (startsAt.getTime() <= this.now().getTime()) {
      throw new AppError('VALIDATION_FAILED', {
        details: { issues: [{ path: 'body.startsAt', message: 'must be in the future' }] },
      });
    }
    const { schedule, totalSeats } = await this.repo.createSchedule(em, {
      concertId,
      venueId: venue.id,
      startsAt,
      prices: body.prices,
    });
    return {
      id: schedule.id,
      concertId,
      venue: { id: venue.id, name: venue.name },
      startsAt: startsAt.toISOString(),
      prices: body.prices,
      totalSeats,
    };
  }

  /** Public list: every concert with its schedules that have not started yet. */
  async listConcerts(): Promise<ConcertListItem[]> {
    const em = this.em();
    const concerts = await this.repo.listConcerts(em);
    const schedules = await this.repo.upcomingSchedules(
      em,
      concerts.map((c) => c.id),
      this.now(),
    );
    return concerts.map((c) => ({
      id: c.id,
      title: c.title,
      artist: c.artist,
      saleOpensAt: c.saleOpensAt.toISOString(),
      schedules: schedules
        .filter((s) => s.concertId === c.id)
        .map((s) => ({ id: s.id, startsAt: s.startsAt.toISOString(), venue: s.venue })),
    }));
  }

  /** Every venue with its seat count (operators). */
  listVenues() {
    return this.repo.listVenues(this.em());
  }

  /**
   * Every concert with its upcoming schedules' seats counted by state, and whether it is sold
   * out: on sale, with schedules, and no seat of any of them available (operators).
   */
  async concertsWithSeats(): Promise<(Omit<AdminConcertOverview, 'queue'> & { id: number })[]> {
    const em = this.em();
    const now = this.now();
    const concerts = await this.repo.listConcerts(em);
    const schedules = await this.repo.scheduleSeatCounts(
      em,
      concerts.map((c) => c.id),
      now,
    );
    return concerts.map((c) => {
      const own = schedules
        .filter((s) => s.concertId === c.id)
        .map(({ concertId: _concertId, ...s }) => s);
      return {
        id: c.id,
        title: c.title,
        artist: c.artist,
        saleOpensAt: c.saleOpensAt.toISOString(),
        soldOut: c.saleOpensAt <= now && own.length > 0 && own.every((s) => s.availableSeats === 0),
        schedules: own,
      };
    });
  }

  /** When a concert's sale opens and ends (its last schedule's start); CONCERT_NOT_FOUND if unknown. */
  async saleWindow(concertId: number): Promise<{ saleOpensAt: Date; saleEndsAt: Date | null }> {
    const window = await this.repo.saleWindow(this.em(), concertId);
    if (!window) throw new AppError('CONCERT_NOT_FOUND');
    return { saleOpensAt: window.saleOpensAt, saleEndsAt: window.lastStartsAt };
  }

  /** The concert a schedule belongs to; SCHEDULE_NOT_FOUND if there is no such schedule. */
  async concertOfSchedule(scheduleId: number): Promise<number> {
    const concertId = await this.repo.concertOfSchedule(this.em(), scheduleId);
    if (concertId === null) throw new AppError('SCHEDULE_NOT_FOUND');
    return concertId;
  }

  /** Schedules not yet started, with availability (the admitted fan's view), as its JSON. */
  async schedulesWithAvailability(concertId: number): Promise<JsonText> {
    const schedules = await this.schedulesList.read(concertId, this.now());
    if (!schedules) throw new AppError('CONCERT_NOT_FOUND');
    return schedules;
  }

  /**
   * Seats of the concert's schedules on sale now: `available` (a lapsed hold counts as available)
   * and `held` (live holds, which may come back). One query over the per-schedule counters,
   * whatever the number of seats: cheap enough for every tick of a line (sold-out awareness).
   */
  seatsOnSale(concertId: number): Promise<{ available: number; held: number }> {
    return this.repo.seatsOnSale(this.em(), concertId, this.now());
  }
}

function concertView(c: Concert) {
  return {
    id: c.id,
    title: c.title,
    artist: c.artist,
    saleOpensAt: c.saleOpensAt.toISOString(),
    createdAt: c.createdAt.toISOString(),
  };
}
