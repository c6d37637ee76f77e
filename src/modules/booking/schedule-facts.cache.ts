import { AppError } from '../../infra/app-error.js';

/** What never changes about a schedule once created. Times in ms since the epoch. */
export interface ScheduleFacts {
  concertId: number;
  startsAt: number;
  saleOpensAt: number;
}

/**
 * Schedule facts kept in memory after their first read, so the admission guard and the refusal
 * path of a hold answer without PostgreSQL (a hold storm is mostly refusals). Nothing changes a
 * schedule's concert, start or its concert's sale opening after creation (no route does; one that
 * did would have to drop this cache). The transaction still checks them against the database.
 * Concurrent misses share one load; an unknown schedule or a failed load is not kept.
 */
export class ScheduleFactsCache {
  private readonly known = new Map<number, Promise<ScheduleFacts>>();

  constructor(private readonly load: (scheduleId: number) => Promise<ScheduleFacts | null>) {}

  /** The facts, or SCHEDULE_NOT_FOUND. */
  get(scheduleId: number): Promise<ScheduleFacts> {
    let facts = this.known.get(scheduleId);
    if (!facts) {
      facts = this.load(scheduleId).then((found) => {
        if (!found) throw new AppError('SCHEDULE_NOT_FOUND');
        return found;
      });
      this.known.set(scheduleId, facts);
      facts.catch(() => this.known.delete(scheduleId));
    }
    return facts;
  }
}
