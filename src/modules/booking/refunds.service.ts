import type { EntityManager } from '@mikro-orm/postgresql';
import { REFUND_CUTOFF_MS } from '@lineup/client-sdk/contract';
import { AppError } from '../../infra/app-error.js';
import type { PointsService } from '../points/points.service.js';
import type { BookingRepository } from './booking.repository.js';
import type { RefundView } from './booking.views.js';
import type { SeatAnnouncements } from './seat-announcements.events.js';

/** Refunds a paid reservation until REFUND_CUTOFF_DAYS (3) days before its schedule starts; the seats are sold again. */
export class RefundsService {
  constructor(
    private readonly em: () => EntityManager,
    private readonly repo: BookingRepository,
    private readonly points: PointsService,
    private readonly announcements: SeatAnnouncements,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async refund(userId: number, id: number): Promise<RefundView> {
    const result = await this.em().transactional(async (tx) => {
      if (!(await this.repo.lockFan(tx, userId))) throw new AppError('RESERVATION_NOT_FOUND');
      await this.repo.lockSeatsOf(tx, id);
      const r = await this.repo.find(tx, id, { forUpdate: true });
      // Another fan's reservation is "not found": existence is not leaked.
      if (!r || r.userId !== userId) throw new AppError('RESERVATION_NOT_FOUND');
      if (r.status !== 'paid')
        throw new AppError('NOT_REFUNDABLE', {
          details: { status: r.holdExpired ? 'expired' : r.status },
        });
      const schedule = await this.repo.schedule(tx, r.scheduleId);
      const cutoff = schedule!.startsAt.getTime() - REFUND_CUTOFF_MS;
      if (this.now().getTime() > cutoff)
        throw new AppError('REFUND_WINDOW_CLOSED', {
          details: { refundableUntil: new Date(cutoff).toISOString() },
        });
      const balance = await this.points.credit(tx, userId, r.amount, r.id);
      if (balance === null)
        throw new AppError('BALANCE_LIMIT_EXCEEDED', { details: { refund: r.amount } });
      const freed = await this.repo.markRefunded(tx, r.id);
      return {
        view: { reservationId: r.id, refundedAmount: r.amount, balance },
        seats: {
          scheduleId: r.scheduleId,
          changes: freed.map((seatId) => ({ seatId, status: 'available' as const })),
          availability: await this.repo.availability(tx, r.scheduleId),
        },
      };
    });
    await this.announcements.afterCommit({ seats: [result.seats] });
    return result.view;
  }
}
