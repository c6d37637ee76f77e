import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doubleBookings, ledgerMismatches } from '../support/booking.js';
import { rawRequest } from '../support/fuzz.js';
import { FUZZ_ROUTES, httpFuzzWorld, type HttpFuzzWorld } from '../support/fuzz-fixture.js';
import { fuzzEndpoint } from '../support/fuzz-requests.js';

// SPEC §3.7 by property on the booking endpoints (the others are in fuzz-http.test.ts): the fan
// sending them is really admitted, so arbitrary input gets past the [admitted] guard and reaches
// the handlers' own validation and rules. Never a 5xx, every error in the envelope, and a
// refused request writes nothing to any table or Redis key.

let world: HttpFuzzWorld;
beforeAll(async () => {
  world = await httpFuzzWorld();
});
afterAll(() => world?.close());

const RUNS = 250;

describe('arbitrary requests to each booking endpoint', () => {
  it.each(FUZZ_ROUTES.booking)('%s', async (route) => {
    const tally = await fuzzEndpoint(world, route, RUNS);
    // The handler itself answered some of them (not only the guards and the body parser).
    const handled = Object.keys(tally).filter(
      (o) => /^2/.test(o) || /_NOT_FOUND|SEAT_|NOT_ADMITTED|RESERVATION|PAID|REFUND|HOLD/.test(o),
    );
    expect(handled, `${route}: ${JSON.stringify(tally)}`).not.toEqual([]);
  });
});

describe('afterwards', () => {
  it('holds no seat twice, loses no point, and still serves the admitted fan', async () => {
    expect(await doubleBookings(world.server)).toEqual([]);
    expect(await ledgerMismatches(world.server)).toEqual([]);
    const ep = world.endpoint('GET /schedules/:scheduleId/seats');
    const res = await rawRequest(world.server.url, {
      method: 'GET',
      target: `/schedules/${ep.params!.scheduleId![0]}/seats`,
      headers: [
        ['Authorization', `Bearer ${ep.auth[0]}`],
        ['X-Queue-Token', ep.queueTokens![0]!],
      ],
    });
    expect(res.status).toBe(200);
    expect(world.watch.seen.rejected).toBeGreaterThan(1_000);
  });
});
