import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueEventBus } from '../queue/queue.events.js';
import type { QueueService } from '../queue/queue.service.js';

export type BookingOutcome = { kind: 'hold' | 'payment' | 'refund'; outcome: string };

/**
 * Prometheus metrics of one instance (its own registry, so several instances can live in one
 * process in tests). Queue sizes are read from Redis when scraped; everything else is counted
 * as it happens.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly http: Histogram<'method' | 'route' | 'status'>;
  private readonly httpChildren = new Map<string, { observe(seconds: number): void }>();
  private readonly admissions: Counter<'concert'>;
  private readonly notice: Histogram;
  private readonly booking: Counter<'kind' | 'outcome'>;
  private readonly leaderChanges: Counter<'to'>;
  private readonly leading: Gauge;

  constructor(
    store: Pick<QueueService, 'concerts' | 'counts'>,
    events: QueueEventBus,
    instanceId: string,
    /** Sockets connected to this instance (the realtime gateway's count). */
    socketCount: () => number,
  ) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ instance_id: instanceId });
    collectDefaultMetrics({ register: this.registry, prefix: 'lineup_' }); // incl. event-loop lag
    this.http = new Histogram({
      name: 'lineup_http_request_duration_seconds',
      help: 'HTTP request duration by route template',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.admissions = new Counter({
      name: 'lineup_queue_admissions_total',
      help: 'Fans admitted by this instance as leader',
      labelNames: ['concert'],
      registers,
    });
    this.notice = new Histogram({
      name: 'lineup_admission_notice_seconds',
      help: 'From the admitting tick to queue:admitted leaving this instance for a socket',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.booking = new Counter({
      name: 'lineup_booking_outcomes_total',
      help: 'Holds, payments and refunds by outcome (ok or the error code)',
      labelNames: ['kind', 'outcome'],
      registers,
    });
    this.leaderChanges = new Counter({
      name: 'lineup_leader_changes_total',
      help: 'Times this instance gained or lost the queue lead',
      labelNames: ['to'],
      registers,
    });
    this.leading = new Gauge({
      name: 'lineup_queue_leader',
      help: '1 while this instance leads the queue',
      registers,
    });
    new Gauge({
      name: 'lineup_sockets',
      help: 'Sockets connected to this instance',
      registers,
      collect() {
        this.set(socketCount());
      },
    });
    // Queue sizes come from Redis at scrape time: one read per concert per scrape, shared by
    // the three gauges (prom-client collects them concurrently).
    let snapshot: {
      at: number;
      counts: Promise<[number, Awaited<ReturnType<QueueService['counts']>>][]>;
    } | null = null;
    const queueCounts = () => {
      if (!snapshot || Date.now() - snapshot.at > 500) {
        snapshot = {
          at: Date.now(),
          counts: store
            .concerts()
            .then((ids) =>
              Promise.all(
                ids.map(
                  async (id) =>
                    [id, await store.counts(id)] as [
                      number,
                      Awaited<ReturnType<QueueService['counts']>>,
                    ],
                ),
              ),
            ),
        };
      }
      return snapshot.counts;
    };
    const lines = {
      waiting: 'fans waiting',
      prequeue: 'fans in the pre-queue',
      active: 'fans admitted now',
    } as const;
    for (const [state, help] of Object.entries(lines) as [keyof typeof lines, string][]) {
      new Gauge({
        name: `lineup_queue_${state}`,
        help: `Per concert: ${help}`,
        labelNames: ['concert'],
        registers,
        async collect() {
          for (const [id, counts] of await queueCounts())
            this.set({ concert: String(id) }, counts[state]);
        },
      });
    }
    // SPEC §2 "Sold-out awareness": lines admitting nobody because every seat is held or sold.
    new Gauge({
      name: 'lineup_queue_sold_out',
      help: 'Per concert: 1 while no seat on sale is available (the line admits nobody)',
      labelNames: ['concert'],
      registers,
      async collect() {
        for (const [id, counts] of await queueCounts())
          this.set({ concert: String(id) }, counts.soldOut ? 1 : 0);
      },
    });
    new Gauge({
      name: 'lineup_queue_held_seats',
      help: 'Per concert: seats held (not sold) on its schedules on sale, which may come back',
      labelNames: ['concert'],
      registers,
      async collect() {
        for (const [id, counts] of await queueCounts())
          this.set({ concert: String(id) }, counts.heldSeats);
      },
    });
    const closed = new Counter({
      name: 'lineup_queue_closed_places_total',
      help: 'Waiting and pre-queue places ended by operators closing a line (on this instance)',
      labelNames: ['concert'],
      registers,
    });
    events.subscribe((e) => {
      if (e.type === 'admitted') this.admissions.inc({ concert: String(e.concertId) });
      else if (e.type === 'endedMany' && e.reason === 'closed')
        closed.inc({ concert: String(e.concertId) }, e.userIds.length);
    });
  }

  httpMiddleware(): RequestHandler {
    return (req, res, next) => {
      const startedAt = performance.now();
      res.once('finish', () => {
        // The route template (`/reservations/:id`), never the raw path: bounded label values.
        const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
        this.observeHttp(req.method, route, res.statusCode, (performance.now() - startedAt) / 1000);
      });
      next();
    };
  }

  /** One HTTP request answered (the middleware above, and the hot routes before express). */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    // One labelled child per (method, status, route template), made on first use: prom-client
    // hashes a label object on every observe otherwise, on every request of the hot paths.
    const key = `${method} ${status} ${route}`;
    let child = this.httpChildren.get(key);
    if (!child) {
      child = this.http.labels({ method, route, status: String(status) });
      this.httpChildren.set(key, child);
    }
    child.observe(seconds);
  }

  admissionNoticed(admittedAtMs: number): void {
    this.notice.observe(Math.max(0, Date.now() - admittedAtMs) / 1000);
  }

  bookingOutcome(o: BookingOutcome): void {
    this.booking.inc({ kind: o.kind, outcome: o.outcome });
  }

  leadership(leading: boolean): void {
    this.leaderChanges.inc({ to: leading ? 'leader' : 'follower' });
    this.leading.set(leading ? 1 : 0);
  }
}
