import { describe, expect, it } from 'vitest';
import { QueueSocketStatus, QueueStatus } from '@lineup/client-sdk/contract';
import { estimateWait } from '../../client-sdk/src/queue-progress.js';
import {
  estimateWaitSeconds,
  retryAfterSeconds,
  socketStatusView,
  statusView,
} from '../../src/modules/queue/queue.views.js';

const NOT_SOLD_OUT = { soldOut: false, heldSeats: 0 };

describe("a fan's view of its entry (SPEC QueueStatus)", () => {
  it('waiting: the position and the estimate, no deadline', () => {
    const view = statusView(
      7,
      { state: 'waiting', position: 120, rate: 2, activeUntil: 1 },
      NOT_SOLD_OUT,
    );
    expect(view).toEqual({
      concertId: 7,
      status: 'waiting',
      position: 120,
      estimatedWaitSeconds: 60,
      activeUntil: null,
      soldOut: false,
      heldSeats: 0,
    });
    expect(QueueStatus.parse(view)).toEqual(view);
  });

  it('active: the idle deadline as ISO time, no position and no estimate', () => {
    const until = Date.parse('2026-12-02T10:00:00.000Z');
    const view = statusView(
      7,
      { state: 'active', position: 3, rate: 2, activeUntil: until },
      NOT_SOLD_OUT,
    );
    expect(view).toMatchObject({
      status: 'active',
      position: null,
      estimatedWaitSeconds: null,
      activeUntil: '2026-12-02T10:00:00.000Z',
    });
  });

  it('pre-queue: the number of fans in it as the position, no estimate before the draw', () => {
    const view = statusView(7, { state: 'prequeue', position: 40, rate: 5 }, NOT_SOLD_OUT);
    expect(view).toMatchObject({
      status: 'prequeue',
      position: 40,
      estimatedWaitSeconds: null,
      activeUntil: null,
    });
  });

  it("carries the line's sold-out facts", () => {
    const view = statusView(7, { state: 'waiting', position: 1 }, { soldOut: true, heldSeats: 4 });
    expect(view).toMatchObject({ soldOut: true, heldSeats: 4, position: 1 });
  });

  it('the socket status adds the ticket and the tick (0 and null when absent)', () => {
    const facts = { state: 'waiting', position: 2, ticket: 901, tick: 33 };
    const view = statusView(7, facts, NOT_SOLD_OUT);
    const socket = socketStatusView(view, facts);
    expect(socket).toMatchObject({ ...view, ticket: 901, tick: 33 });
    expect(QueueSocketStatus.parse(socket)).toEqual(socket);
    expect(socketStatusView(view, { state: 'waiting' })).toMatchObject({ ticket: null, tick: 0 });
  });
});

describe('estimated wait', () => {
  it('is null while the rate is unknown, zero or the fan is not waiting', () => {
    expect(estimateWaitSeconds({ state: 'waiting', position: 10 })).toBeNull();
    expect(estimateWaitSeconds({ state: 'waiting', position: 10, rate: 0 })).toBeNull();
    expect(estimateWaitSeconds({ state: 'waiting', position: 10, rate: -1 })).toBeNull();
    expect(estimateWaitSeconds({ state: 'active', position: 10, rate: 1 })).toBeNull();
    expect(estimateWaitSeconds({ state: 'waiting', rate: 1 })).toBeNull();
  });

  it('rounds up, and equals what a client computes from the frames (ceil(p × 60 / ratePerMinute))', () => {
    expect(estimateWaitSeconds({ state: 'waiting', position: 1, rate: 3 })).toBe(1);
    expect(estimateWaitSeconds({ state: 'waiting', position: 7, rate: 2 })).toBe(4);
    for (const position of [1, 2, 3, 17, 999, 12_345])
      for (const rate of [0.1, 1 / 3, 0.7, 1, 2.5, 16.666, 250])
        expect(estimateWaitSeconds({ state: 'waiting', position, rate })).toBe(
          estimateWait(position, { ratePerMinute: rate * 60 }),
        );
  });
});

describe('Retry-After when the line is full', () => {
  it('30 s while the rate is unknown; else about 1 % of the line moving, within 5 s to 5 min', () => {
    expect(retryAfterSeconds(undefined)).toBe(30);
    expect(retryAfterSeconds(0)).toBe(30);
    expect(retryAfterSeconds(1)).toBe(100);
    expect(retryAfterSeconds(100)).toBe(5);
    expect(retryAfterSeconds(0.1)).toBe(300);
  });
});
