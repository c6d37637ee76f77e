// The operator side of a load run, over the admin API (ADMIN_TOKEN): venues, concerts,
// schedules, queue policy, and each instance's counters (`GET /admin/stats`).

const DAY = 86_400_000;

export interface InstanceStats {
  instanceId: string;
  pid: number;
  uptimeSeconds: number;
  memory: {
    rss: number;
    heapTotal: number;
    heapUsed: number;
    external: number;
    arrayBuffers: number;
  };
  /** A full GC ran just before the reading (asked with gc, instance started with --expose-gc). */
  afterGc?: boolean;
  booking: {
    holdRequests: number;
    holdDatabaseWrites: number;
    holdsOk: number;
    holdRoundTrips: number;
    paymentsOk: number;
    paymentRoundTrips: number;
  };
}

export interface QueuePolicyPatch {
  maxActive?: number;
  admitPerMinute?: number;
  maxWaiting?: number;
  activeIdleSeconds?: number;
  activeMaxSeconds?: number;
  paused?: boolean;
}

export interface ConcertSetup {
  concertId: number;
  scheduleIds: number[];
  venueId: number;
}

/** CreateVenueBody's most rows (client-sdk/src/contract/catalogue.ts). */
const VENUE_ROWS_MAX = 500;

export class Admin {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * A venue of `seats` seats in rows of up to 50 (VIP, R, S, A by quarter); wider rows when 50 a
   * row would pass the contract's 500 rows (the large seat storm's 50,000 spare seats).
   */
  async venue(
    seats: number,
    name = `Load venue ${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
  ): Promise<number> {
    const grades = ['VIP', 'R', 'S', 'A'] as const;
    const perRow = Math.max(Math.min(50, seats), Math.ceil(seats / VENUE_ROWS_MAX));
    const rowCount = Math.ceil(seats / perRow);
    const rows = Array.from({ length: rowCount }, (_, i) => ({
      name: `R${i + 1}`,
      seats: Math.min(perRow, seats - i * perRow),
      grade: grades[Math.min(3, Math.floor((i * 4) / rowCount))]!,
    }));
    return (await this.call<{ id: number }>('POST', '/admin/venues', { name, rows })).id;
  }

  /**
   * A concert on sale since yesterday with `schedules` performances at one venue of `seats` seats.
   * `spareSeats`: one more performance, at a venue of that many seats, left out of `scheduleIds`:
   * a line admits no more fans than seats on sale (SPEC §2 "Sold-out awareness"), so a storm of N
   * fans on M < N seats needs N seats elsewhere in the concert to admit them all.
   */
  async concert(
    options: { seats?: number; schedules?: number; title?: string; spareSeats?: number } = {},
  ): Promise<ConcertSetup> {
    const venueId = await this.venue(options.seats ?? 100);
    const concert = await this.call<{ id: number }>('POST', '/admin/concerts', {
      title: options.title ?? 'Load test concert',
      artist: 'Load Runner',
      saleOpensAt: new Date(Date.now() - DAY).toISOString(),
    });
    const scheduleIds: number[] = [];
    for (let i = 0; i < (options.schedules ?? 1); i++) {
      const s = await this.call<{ id: number }>('POST', `/admin/concerts/${concert.id}/schedules`, {
        venueId,
        startsAt: new Date(Date.now() + (30 + i) * DAY).toISOString(),
        prices: { VIP: 150_000, R: 120_000, S: 90_000, A: 60_000 },
      });
      scheduleIds.push(s.id);
    }
    if (options.spareSeats) {
      await this.call('POST', `/admin/concerts/${concert.id}/schedules`, {
        venueId: await this.venue(options.spareSeats),
        startsAt: new Date(Date.now() + 60 * DAY).toISOString(),
        prices: { VIP: 150_000, R: 120_000, S: 90_000, A: 60_000 },
      });
    }
    return { concertId: concert.id, scheduleIds, venueId };
  }

  policy(concertId: number, patch: QueuePolicyPatch): Promise<unknown> {
    return this.call('PATCH', `/admin/concerts/${concertId}/queue`, patch);
  }

  queue(
    concertId: number,
  ): Promise<{ waiting: number; prequeue: number; active: number; admittedTotal: number }> {
    return this.call('GET', `/admin/concerts/${concertId}/queue`);
  }
}

/** `GET /admin/stats` of every instance (each URL must reach one instance, not a balancer). */
export async function instanceStats(
  urls: string[],
  token: string,
  gc = false,
): Promise<InstanceStats[]> {
  const path = gc ? '/admin/stats?gc=true' : '/admin/stats';
  return Promise.all(urls.map((u) => new Admin(u, token).call<InstanceStats>('GET', path)));
}

export const sumHoldWrites = (stats: InstanceStats[]): number =>
  stats.reduce((n, s) => n + s.booking.holdDatabaseWrites, 0);
