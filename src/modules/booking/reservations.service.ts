import type { EntityManager } from '@mikro-orm/postgresql';
import { AppError } from '../../infra/app-error.js';
import type { BookingRepository } from './booking.repository.js';
import { reservationView, type ReservationView } from './booking.views.js';
import type { ScheduleFactsCache } from './schedule-facts.cache.js';
import type { SeatMap, SeatMapAnswer, SeatMapCache } from './seat-map.cache.js';

/** What a fan reads: seat maps and their own reservations. */
export class ReservationsService {
  constructor(
    private readonly em: () => EntityManager,
    private readonly repo: BookingRepository,
    private readonly schedules: ScheduleFactsCache,
    private readonly seatMaps: SeatMapCache,
  ) {}

  /** The concert a schedule belongs to (the admission guard checks the fan against it). */
  async concertOfSchedule(scheduleId: number): Promise<number> {
    return (await this.schedules.get(scheduleId)).concertId;
  }

  async seats(scheduleId: number, status?: 'available'): Promise<SeatMap> {
    const map = await this.seatMaps.read(scheduleId, status);
    if (!map) throw new AppError('SCHEDULE_NOT_FOUND');
    return map;
  }

  /** The seat map as the route answers it (serialized, cached per version). */
  async seatsAnswer(scheduleId: number, status?: 'available'): Promise<SeatMapAnswer> {
    const answer = await this.seatMaps.answer(scheduleId, status);
    if (!answer) throw new AppError('SCHEDULE_NOT_FOUND');
    return answer;
  }

  async get(userId: number, id: number): Promise<ReservationView> {
    const r = await this.repo.find(this.em(), id);
    // Another fan's reservation is "not found": existence is not leaked.
    if (!r || r.userId !== userId) throw new AppError('RESERVATION_NOT_FOUND');
    return reservationView(r);
  }

  async list(userId: number): Promise<ReservationView[]> {
    return (await this.repo.listByUser(this.em(), userId)).map(reservationView);
  }
}
