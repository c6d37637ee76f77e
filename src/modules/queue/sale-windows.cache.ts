/** A concert's sale window as the join path needs it (ms since epoch; no end: nothing to sell). */
export interface SaleWindow {
  saleOpensAt: number;
  saleEndsAt: number | null;
}

/**
 * The join path is the hottest in the product (a whole stadium in one second), so each instance
 * keeps concerts' sale windows for a few seconds and a join costs one Redis round trip.
 *
 * Concurrent misses for one concert share a single load. Without that, a storm of joins on a cold
 * (or just expired) entry sends one database query per join: every instance fills its whole
 * connection pool with the same query, and with several instances PostgreSQL runs out of
 * connections ("sorry, too many clients already") and joins fail with 500.
 */
export class SaleWindowCache {
  private readonly cached = new Map<number, { window: SaleWindow; fetchedAt: number }>();
  private readonly loading = new Map<number, Promise<SaleWindow>>();

  constructor(
    private readonly load: (concertId: number) => Promise<SaleWindow>,
    private readonly ttlMs: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** Whether a fresh window is cached (a get would not load). */
  has(concertId: number): boolean {
    const hit = this.cached.get(concertId);
    return hit !== undefined && this.nowMs() - hit.fetchedAt < this.ttlMs;
  }

  /** The cached window, or the one load in flight for the concert (a failed load is not kept). */
  get(concertId: number): Promise<SaleWindow> {
    const hit = this.cached.get(concertId);
    if (hit && this.nowMs() - hit.fetchedAt < this.ttlMs) return Promise.resolve(hit.window);
    let pending = this.loading.get(concertId);
    if (!pending) {
      const fetchedAt = this.nowMs();
      pending = this.load(concertId)
        .then((window) => {
          this.cached.set(concertId, { window, fetchedAt });
          return window;
        })
        .finally(() => this.loading.delete(concertId));
      this.loading.set(concertId, pending);
    }
    return pending;
  }
}
