import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Histogram } from '../lib/histogram.js';
import { runPool } from '../lib/pool.js';
import { round } from '../lib/report.js';

export interface SqlHoldBaseline {
  requests: number;
  connections: number;
  seconds: number;
  updatesPerSecond: number;
  /** Rows the updates changed: one per seat, like the storm's holds. */
  rowsUpdated: number;
  latencyMs: ReturnType<Histogram['summary']>;
}

/**
 * The hold baseline: a plain SQL loop doing the storm's conditional UPDATE (take the seat only if
 * it is available) for the same number of requests on the same number of seats, through a
 * `pg` pool as large as the instances' pools together. No HTTP, no auth, no Redis, no
 * transaction around it: what PostgreSQL alone answers.
 */
export async function sqlHoldBaseline(
  databaseUrl: string,
  scheduleId: number,
  seatIds: number[],
  requests: number,
  connections: number,
): Promise<SqlHoldBaseline> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: connections });
  try {
    // Open every connection first, so the loop measures updates, not connection set-up.
    const clients = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
    for (const c of clients) c.release();
    const order = Array.from({ length: requests }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const latency = new Histogram();
    let rowsUpdated = 0;
    const run = await runPool(order, connections, async (i) => {
      const t0 = performance.now();
      const res = await pool.query(
        `update schedule_seats set status = 'held', reservation_id = $3, held_until = now() + interval '300 seconds'
         where schedule_id = $1 and seat_id = $2 and status = 'available'`,
        [scheduleId, seatIds[i % seatIds.length], i + 1],
      );
      latency.record(performance.now() - t0);
      rowsUpdated += res.rowCount ?? 0;
    });
    return {
      requests,
      connections,
      seconds: round(run.seconds, 2),
      updatesPerSecond: round(requests / run.seconds),
      rowsUpdated,
      latencyMs: latency.summary(),
    };
  } finally {
    await pool.end();
  }
}
