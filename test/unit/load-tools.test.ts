import { describe, expect, it } from 'vitest';
import { Histogram } from '../../load/lib/histogram.js';
import {
  admissionTime,
  connectFrame,
  emitFrame,
  parseFrame,
  socketUrl,
} from '../../load/k6/sio.js';

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

describe('k6 Engine.IO / Socket.IO framing', () => {
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

  it('admission time: admittedAt when sent, else activeUntil minus the idle allowance', () => {
    const until = '2026-01-01T00:05:00.000Z';
    expect(admissionTime({ activeUntil: until }, 300)).toBe(Date.parse('2026-01-01T00:00:00.000Z'));
    expect(admissionTime({ activeUntil: until, admittedAt: '2026-01-01T00:00:01.000Z' }, 300)).toBe(
      Date.parse('2026-01-01T00:00:01.000Z'),
    );
  });
});
