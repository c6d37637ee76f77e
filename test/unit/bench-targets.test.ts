import { describe, expect, it } from 'vitest';
import { verdicts } from '../../load/bench/targets.js';
import type { ScenarioResult } from '../../load/lib/report.js';

// The bench's verdicts: a figure that was not measured is never a target met.
function seatStorm(p99: number | null): ScenarioResult {
  return {
    scenario: 'seat-storm',
    startedAt: '2026-12-03T00:00:00.000Z',
    durationSeconds: 1,
    params: { fans: 10_000, seats: 100 },
    ops: {
      hold: {
        count: p99 === null ? 0 : 10_000,
        ok: p99 === null ? 0 : 100,
        throughput: 0,
        latencyMs: { count: 0, mean: null, p50: null, p95: null, p99, max: null },
        errors: {},
      },
    },
    figures: {
      holdsPerSecond: 0,
      holdsGranted: p99 === null ? 0 : 100,
      exactlyOneHoldPerSeat: p99 !== null,
      databaseWriteAttempts: 100,
      reservationIdsConsumed: 100,
      dbSeatsInTwoHolds: 0,
    },
    machine: {},
  } as unknown as ScenarioResult;
}

const p99Row = (p99: number | null) =>
  verdicts({ 'seat-storm': seatStorm(p99) }, {}, 2).find((v) =>
    v.figure.startsWith('hold p50 / p99'),
  );

describe('bench verdicts: the hold storm p99', () => {
  it('is met at or under 500 ms and not above', () => {
    expect(p99Row(420)?.met).toBe(true);
    expect(p99Row(500)?.met).toBe(true);
    expect(p99Row(501)?.met).toBe(false);
  });

  it('is not met when the storm answered nothing (no p99)', () => {
    expect(p99Row(null)?.met).toBe(false);
  });
});
