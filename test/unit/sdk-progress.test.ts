import { describe, expect, it } from 'vitest';
import { applyProgress, ProgressTracker } from '@lineup/client-sdk';
import type { QueueProgress, QueueSocketStatus } from '@lineup/client-sdk/contract';

const status = (over: Partial<QueueSocketStatus> = {}): QueueSocketStatus => ({
  concertId: 1,
  status: 'waiting',
  position: 10,
  estimatedWaitSeconds: null,
  activeUntil: null,
  soldOut: false,
  heldSeats: 0,
  ticket: 100,
  tick: 5,
  ...over,
});
const frame = (over: Partial<QueueProgress> = {}): QueueProgress => ({
  concertId: 1,
  tick: 6,
  admitted: 0,
  departed: [],
  ratePerMinute: null,
  prequeue: 0,
  soldOut: false,
  heldSeats: 0,
  ...over,
});

describe('applyProgress (SPEC §5 arithmetic)', () => {
  it('moves a fan up by the admitted and by the departed tickets below its own', () => {
    const next = applyProgress(
      status(),
      frame({ admitted: 2, departed: [3, 99, 100, 150], ratePerMinute: 120 }),
    );
    expect(next).toMatchObject({ position: 6, tick: 6, estimatedWaitSeconds: 3 });
  });
  it('gives a pre-queue fan the pre-queue size, and carries the sold-out facts', () => {
    const next = applyProgress(
      status({ status: 'prequeue', ticket: null, position: 40 }),
      frame({ prequeue: 37, soldOut: true, heldSeats: 4 }),
    );
    expect(next).toMatchObject({ position: 37, soldOut: true, heldSeats: 4 });
  });
  it('reports doubt (null) when the fan would reach the head', () => {
    expect(applyProgress(status({ position: 2 }), frame({ admitted: 2 }))).toBeNull();
  });
});

describe('ProgressTracker', () => {
  it("carries a waiting fan's sold-out facts from the frames into its statuses, both ways", () => {
    const t = new ProgressTracker();
    t.onStatus(status());
    // Sold out: nobody admitted, the fan's place unchanged, the facts told.
    expect(t.onFrame(frame({ soldOut: true, heldSeats: 3 })).statuses[0]).toMatchObject({
      position: 10,
      soldOut: true,
      heldSeats: 3,
    });
    // Seats came back: one fan admitted, the facts cleared.
    expect(t.onFrame(frame({ tick: 7, admitted: 1 })).statuses[0]).toMatchObject({
      position: 9,
      soldOut: false,
      heldSeats: 0,
    });
  });
  it('applies consecutive frames, ignores repeats and older ones', () => {
    const t = new ProgressTracker();
    expect(t.onStatus(status()).statuses).toHaveLength(1);
    expect(t.onFrame(frame({ admitted: 1 })).statuses[0]!.position).toBe(9);
    expect(t.onFrame(frame({ admitted: 1 }))).toEqual({ statuses: [], sync: false }); // tick 6 again
    expect(t.onFrame(frame({ tick: 7, admitted: 1 })).statuses[0]!.position).toBe(8);
  });
  it('asks for a sync on a gap, and applies the frames kept after the answer', () => {
    const t = new ProgressTracker();
    t.onStatus(status());
    expect(t.onFrame(frame({ tick: 7, admitted: 1 }))).toEqual({ statuses: [], sync: true });
    expect(t.onFrame(frame({ tick: 8, admitted: 1 })).statuses).toEqual([]); // kept
    const out = t.onStatus(status({ tick: 7, position: 8 }));
    expect(out.statuses.map((s) => [s.tick, s.position])).toEqual([
      [7, 8],
      [8, 7],
    ]);
    expect(out.sync).toBe(false);
  });
  it('waits for its status after a departed: null frame (no sync of its own)', () => {
    const t = new ProgressTracker();
    t.onStatus(status());
    expect(t.onFrame(frame({ departed: null }))).toEqual({ statuses: [], sync: false });
    expect(t.onFrame(frame({ tick: 7, admitted: 1 })).statuses).toEqual([]);
    const out = t.onStatus(status({ tick: 6, position: 4 }));
    expect(out.statuses.map((s) => s.position)).toEqual([4, 3]);
  });
  it('keeps frames that come before the first status', () => {
    const t = new ProgressTracker();
    expect(t.onFrame(frame({ tick: 6, admitted: 3 })).statuses).toEqual([]);
    expect(t.onStatus(status({ tick: 5 })).statuses.map((s) => s.position)).toEqual([10, 7]);
  });
  it('syncs when frames pile up while a status is awaited', () => {
    const t = new ProgressTracker();
    t.onStatus(status());
    t.onFrame(frame({ departed: null }));
    let synced = false;
    for (let tick = 7; tick < 30 && !synced; tick++) synced = t.onFrame(frame({ tick })).sync;
    expect(synced).toBe(true);
  });
});
