import { describe, expect, it } from 'vitest';
import { SIZES, sizeProblem } from '../../load/bench/sizes.js';
import { Histogram } from '../../load/lib/histogram.js';
import { SocketPool } from '../../load/lib/socket-pool.js';
import { admissionTime, applyFrame, type Place } from '../../load/k6/place.js';
import { connectFrame, emitFrame, parseFrame, socketUrl } from '../../load/lib/sio-framing.js';

describe('load runner histogram', () => {
  it('percentiles within the HdrHistogram precision (2 significant digits), exact max, mergeable', () => {
    const a = new Histogram();
    const b = new Histogram();
    for (let i = 1; i <= 10_000; i++) (i % 2 ? a : b).record(i / 10); // 0.1 .. 1000 ms
    const h = new Histogram().merge(a).merge(b.snapshot());
    expect(h.count).toBe(10_000);
    expect(h.max).toBe(1000);
    for (const [p, want] of [
      [50, 500],
      [95, 950],
      [99, 990],
    ] as const)
      expect(Math.abs(h.percentile(p) - want) / want).toBeLessThan(0.02);
    expect(h.fractionAbove(900)).toBeCloseTo(0.1, 1);
  });

  it('keeps sub-millisecond and minute-long values apart', () => {
    const h = new Histogram();
    h.record(0.05);
    h.record(120_000);
    expect(h.percentile(50)).toBeLessThan(0.1);
    expect(h.percentile(100)).toBe(120_000);
  });
});

describe('Engine.IO / Socket.IO framing (k6 scripts and LiteQueueSocket)', () => {
  it('builds the URL, the namespace connect and events with acks', () => {
    expect(socketUrl('http://127.0.0.1:3000/')).toBe(
      'ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket',
    );
    expect(connectFrame('t.o.k')).toBe('40/queue,{"token":"t.o.k"}');
    expect(emitFrame('queue:leave', 7)).toBe('42/queue,7["queue:leave"]');
    expect(emitFrame('seats:subscribe', 8, '/queue', { scheduleId: 3 })).toBe(
      '42/queue,8["seats:subscribe",{"scheduleId":3}]',
    );
  });

  it('decodes what the server sends', () => {
    expect(parseFrame('0{"sid":"x","pingInterval":25000}')).toEqual({ kind: 'open' });
    expect(parseFrame('2')).toEqual({ kind: 'ping' });
    expect(parseFrame('40/queue,{"sid":"abc"}')).toEqual({ kind: 'connected' });
    expect(
      parseFrame(
        '44/queue,{"message":"QUEUE_TOKEN_INVALID","data":{"code":"QUEUE_TOKEN_INVALID"}}',
      ),
    ).toEqual({ kind: 'refused', code: 'QUEUE_TOKEN_INVALID' });
    expect(parseFrame('42/queue,["queue:status",{"position":3}]')).toEqual({
      kind: 'event',
      event: 'queue:status',
      payload: { position: 3 },
    });
    expect(parseFrame('43/queue,7[{"ok":true,"data":null}]')).toEqual({
      kind: 'ack',
      id: 7,
      payload: { ok: true, data: null },
    });
    expect(parseFrame('41/queue,')).toEqual({ kind: 'disconnected' });
  });

  it('decodes a frame every socket of a line receives once, and a different one again', () => {
    const raw = '42/queue,["queue:progress",{"tick":5,"admitted":1,"departed":[],"prequeue":0}]';
    const first = parseFrame(raw);
    expect(parseFrame(`${raw}`)).toBe(first); // the same string: the same decoded frame
    const other = parseFrame(
      '42/queue,["queue:progress",{"tick":6,"admitted":0,"departed":[],"prequeue":0}]',
    );
    expect(other).not.toBe(first);
    expect(other).toMatchObject({ kind: 'event', payload: { tick: 6 } });
  });

  it('reads another namespace when asked, and leaves unknown frames alone', () => {
    expect(parseFrame('42/admin,["x",1]', '/admin')).toEqual({
      kind: 'event',
      event: 'x',
      payload: 1,
    });
    expect(parseFrame('6')).toEqual({ kind: 'other', raw: '6' });
    expect(socketUrl('https://h', '/io/')).toBe('wss://h/io/?EIO=4&transport=websocket');
  });
});

describe('k6 waiting-room arithmetic (SPEC §5)', () => {
  const place = (p: Partial<Place> = {}): Place => ({
    status: 'waiting',
    position: 10,
    ticket: 100,
    tick: 4,
    awaiting: false,
    ...p,
  });

  it('moves a waiting fan up by the admitted and the departures ahead of its ticket', () => {
    const p = place();
    expect(applyFrame(p, { tick: 5, admitted: 2, departed: [50, 99, 100, 150], prequeue: 0 })).toBe(
      'applied',
    );
    expect(p).toMatchObject({ position: 6, tick: 5 });
  });

  it("gives a pre-queue fan the frame's pre-queue figure", () => {
    const p = place({ status: 'prequeue', ticket: null, position: 0 });
    expect(applyFrame(p, { tick: 5, admitted: 0, departed: [], prequeue: 7 })).toBe('applied');
    expect(p.position).toBe(7);
  });

  it('asks for a sync on a gap or at the head, awaits a status after departed: null, ignores old frames', () => {
    expect(applyFrame(place(), { tick: 6, admitted: 0, departed: [], prequeue: 0 })).toBe('sync');
    expect(
      applyFrame(place({ position: 2 }), { tick: 5, admitted: 2, departed: [], prequeue: 0 }),
    ).toBe('sync');
    expect(applyFrame(place(), { tick: 5, admitted: 0, departed: null, prequeue: 0 })).toBe(
      'await',
    );
    expect(applyFrame(place(), { tick: 4, admitted: 1, departed: [], prequeue: 0 })).toBe(
      'ignored',
    );
    expect(
      applyFrame(place({ awaiting: true }), { tick: 5, admitted: 1, departed: [], prequeue: 0 }),
    ).toBe('ignored');
    const unchanged = place();
    applyFrame(unchanged, { tick: 6, admitted: 3, departed: [], prequeue: 0 });
    expect(unchanged).toEqual(place());
  });

  it('admission time: admittedAt when sent, else activeUntil minus the idle allowance', () => {
    const until = '2026-01-01T00:05:00.000Z';
    expect(admissionTime({ activeUntil: until }, 300)).toBe(Date.parse('2026-01-01T00:00:00.000Z'));
    expect(admissionTime({ activeUntil: until, admittedAt: '2026-01-01T00:00:01.000Z' }, 300)).toBe(
      Date.parse('2026-01-01T00:00:01.000Z'),
    );
  });
});

describe('bench sizes (load/bench/sizes.ts)', () => {
  it("every size's waiting room has a joined fan per socket and fits its instances' open files", () => {
    for (const [name, size] of Object.entries(SIZES))
      expect([name, sizeProblem(size, size.instances ?? 2)]).toEqual([name, null]);
    // The large size's steps go to 50,000 (issue 13): its join storm must give 50,000 fans.
    expect(SIZES.large!.waiting.sockets).toBe(50_000);
    expect(SIZES.large!.join.fans).toBeGreaterThanOrEqual(50_000);
    expect(SocketPool.workersFor(50_000)).toBe(4);
  });

  it('says why a size cannot run', () => {
    const large = SIZES.large!;
    expect(sizeProblem(large, 2)).toMatch(/25000 each, above 19000 .*--instances 3/);
    expect(sizeProblem({ ...large, join: { ...large.join, fans: 39_000 } }, 3)).toMatch(
      /50000 sockets need as many joined fans; the join storm has 39000/,
    );
  });
});
