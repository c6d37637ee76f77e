import type { Config } from '../../config/index.js';
import { AppError } from '../../infra/app-error.js';
import type { IdempotentRequest, StoredResponse } from '../idempotency/idempotency.service.js';
import type { QueueService } from '../queue/queue.service.js';
import type { Grade } from '../catalogue/catalogue.entities.js';
import { pickBlock } from './best-available.logic.js';
import type { ReservationView } from './booking.views.js';
import type { HoldsService } from './holds.service.js';
import type { ReservationsService } from './reservations.service.js';

/** Picks after a refusal (the block was taken between the read and the hold) before giving up. */
const ATTEMPTS = 3;

/**
 * Best available (SPEC §2): the server picks `count` adjacent seats and holds them through the
 * same path as named seats (HoldsService.hold: admission, seat locks, the conditional write).
 */
export class BestAvailableService {
  constructor(
    private readonly holds: HoldsService,
    private readonly reservations: ReservationsService,
    private readonly queue: QueueService,
    private readonly config: Config['booking'],
  ) {}

  async hold(
    userId: number,
    queueToken: string | undefined,
    body: { scheduleId: number; count: number; grade?: Grade },
    idem: IdempotentRequest,
  ): Promise<StoredResponse<ReservationView>> {
    const { scheduleId, count, grade } = body;
    if (count > this.config.maxSeatsPerUser) {
      throw new AppError('SEAT_LIMIT_EXCEEDED', {
        details: { max: this.config.maxSeatsPerUser, requested: count },
      });
    }
    // Only an admitted fan may have the seat map read for them.
    await this.queue.requireActiveFor(queueToken, userId, () =>
      this.reservations.concertOfSchedule(scheduleId),
    );
    const taken = new Set<number>();
    for (let attempt = 1; ; attempt++) {
      const map = await this.reservations.seats(scheduleId);
      const seats = map.seats.map((s) => (taken.has(s.id) ? { ...s, status: 'held' } : s));
      const seatIds = pickBlock(seats, count, grade);
      if (!seatIds)
        throw new AppError('SEAT_UNAVAILABLE', { details: { seatIds: [], count, grade } });
      try {
        return await this.holds.hold(userId, queueToken, { scheduleId, seatIds }, idem);
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== 'SEAT_UNAVAILABLE' || attempt >= ATTEMPTS)
          throw err;
        // Another fan got there first: pick again without those seats.
        const busy = (err.details as { seatIds?: number[] } | undefined)?.seatIds;
        for (const id of busy?.length ? busy : seatIds) taken.add(id);
      }
    }
  }
}
