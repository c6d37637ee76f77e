import { z } from 'zod';
import type { Api } from '../../infra/http/api.js';
import type { BookingCounters } from '../booking/booking.service.js';

// Read-only numbers of this one instance, for the load runner and `npm run bench`: how many hold
// requests reached the database write (the seat-storm target counts them across processes) and
// the process's memory (memory per 1,000 sockets). Nothing here changes state.

const AdminInstanceStats = z.object({
  instanceId: z.string(),
  pid: z.number().int(),
  uptimeSeconds: z.number(),
  memory: z.object({
    rss: z.number().int(),
    heapTotal: z.number().int(),
    heapUsed: z.number().int(),
    external: z.number().int(),
    arrayBuffers: z.number().int(),
  }),
  /** True when a full garbage collection ran just before reading (`?gc=true`, --expose-gc). */
  afterGc: z.boolean(),
  booking: z.object({
    holdRequests: z.number().int(),
    holdDatabaseWrites: z.number().int(),
    /** Holds and payments that succeeded, and the PostgreSQL round trips they took. */
    holdsOk: z.number().int(),
    holdRoundTrips: z.number().int(),
    paymentsOk: z.number().int(),
    paymentRoundTrips: z.number().int(),
  }),
});

const StatsQuery = z.strictObject({
  gc: z
    .enum(['true', 'false'])
    .optional()
    .describe('Run a full garbage collection first (only if the process has --expose-gc)'),
});

export function adminStatsRoutes(
  api: Api,
  deps: { instanceId: string; booking: { counters: BookingCounters } },
): void {
  api.route(
    {
      method: 'get',
      path: '/admin/stats',
      summary:
        "This instance's counters: hold requests, holds that reached the database write, memory",
      tags: ['admin'],
      auth: 'admin',
      query: StatsQuery,
      responses: {
        200: { description: 'Stats of the answering instance', schema: AdminInstanceStats },
      },
    },
    async ({ query, res }) => {
      // Memory per socket is a small difference between two large, GC-dependent readings; a
      // full collection first makes the heap figure exact (the bench starts with --expose-gc).
      const gc = (globalThis as { gc?: () => void }).gc;
      const afterGc = query.gc === 'true' && typeof gc === 'function';
      if (afterGc) gc();
      const m = process.memoryUsage();
      res.json({
        instanceId: deps.instanceId,
        pid: process.pid,
        uptimeSeconds: Math.round(process.uptime() * 10) / 10,
        memory: {
          rss: m.rss,
          heapTotal: m.heapTotal,
          heapUsed: m.heapUsed,
          external: m.external,
          arrayBuffers: m.arrayBuffers,
        },
        afterGc,
        booking: { ...deps.booking.counters },
      });
    },
  );
}
