import { describe, expect, it } from 'vitest';
import { ExactnessCheck, type Place, type PolledPlace } from '../../load/lib/exactness.js';

// The load runner's exactness check: polls are compared with the computed position of the tick
// the poll is exact as of, never with another tick's.
function harness() {
  const places = new Map<number, Place | null>();
  const answers = new Map<number, PolledPlace | null>();
  const check = new ExactnessCheck(
    (fan) => places.get(fan) ?? null,
    async (fan) => answers.get(fan) ?? null,
  );
  return { places, answers, check };
}

describe('ExactnessCheck', () => {
  it('counts a poll of the same tick as a check, and a different position as a violation', async () => {
    const { places, answers, check } = harness();
    places.set(1, { tick: 7, position: 40 });
    places.set(2, { tick: 7, position: 12 });
    answers.set(1, { tick: 7, position: 40, status: 'waiting' });
    answers.set(2, { tick: 7, position: 13, status: 'waiting' });
    await check.sample([1, 2]);
    expect(check.take()).toEqual({ checks: 2, violations: 1, skipped: 0 });
  });

  it('waits for the frames of a poll that is ahead, then compares', async () => {
    const { places, answers, check } = harness();
    places.set(1, { tick: 7, position: 40 });
    answers.set(1, { tick: 8, position: 35, status: 'waiting' });
    await check.sample([1]);
    expect(check.take()).toEqual({ checks: 0, violations: 0, skipped: 0 });
    places.set(1, { tick: 8, position: 36 });
    check.moved(1);
    expect(check.take()).toEqual({ checks: 1, violations: 1, skipped: 0 });
  });

  it('skips polls it cannot compare: admitted, failed, or a tick the fan jumped over', async () => {
    const { places, answers, check } = harness();
    places.set(1, { tick: 7, position: 1 });
    answers.set(1, { tick: 8, position: 0, status: 'active' });
    places.set(2, { tick: 7, position: 5 });
    answers.set(2, null);
    places.set(3, { tick: 7, position: 9 });
    answers.set(3, { tick: 8, position: 8, status: 'waiting' });
    await check.sample([1, 2, 3]);
    places.set(3, { tick: 10, position: 4 }); // resynchronised past tick 8
    check.moved(3);
    expect(check.take()).toEqual({ checks: 0, violations: 0, skipped: 3 });
  });

  it('compares with the place before the poll when a frame arrived during it', async () => {
    const places = new Map<number, Place>([[1, { tick: 7, position: 40 }]]);
    const polled = new ExactnessCheck(
      (fan) => places.get(fan) ?? null,
      async () => {
        places.set(1, { tick: 8, position: 38 }); // the next frame lands while polling
        return { tick: 7, position: 40, status: 'waiting' };
      },
    );
    await polled.sample([1]);
    expect(polled.take()).toEqual({ checks: 1, violations: 0, skipped: 0 });
  });
});
