import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SeatsSubscription } from '@lineup/client-sdk/contract';
import { hostileValue } from '../support/fuzz-arbitraries.js';
import { socketFuzzWorld, type SocketFuzzWorld } from '../support/fuzz-socket-world.js';
import { HANDSHAKE_CODES, expectAck } from '../support/fuzz-sockets.js';
import { connected, nextEvent } from '../support/sockets.js';
import { until } from '../support/wait.js';

// SPEC §3.7 and §5 by property on the socket side: arbitrary handshake auth, and arbitrary
// payloads (with and without an ack callback) for every client-to-server event; raw protocol
// frames are in fuzz-socket-frames.test.ts. The server stays up, every ack has the SPEC shape,
// garbage joins no room, and nothing is written to PostgreSQL or Redis (every table and every
// key of a private Redis is compared).

let w: SocketFuzzWorld;
beforeAll(async () => {
  w = await socketFuzzWorld();
});
afterEach(() => w?.closeSockets());
afterAll(() => w?.close());

describe('handshake', () => {
  it('accepts only live queue tokens; anything else is a connect_error with a SPEC code, and writes nothing', async () => {
    const auth = fc.oneof(
      fc.record({ token: fc.constantFrom(...w.tokens) }),
      fc.record({ token: hostileValue }),
      fc.record({ token: fc.string({ unit: 'binary', maxLength: 2_000 }) }),
      fc.dictionary(fc.string(), hostileValue),
      hostileValue.map((token) => ({ token, extra: token })),
    );
    const outcomes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(auth, async (a) => {
        const socket = w.open(a);
        const outcome = await connected(socket).then(
          () => 'connected',
          (err: Error & { data?: { code?: string } }) => {
            expect(HANDSHAKE_CODES).toContain(err.message);
            expect(err.data?.code).toBe(err.message);
            return err.message;
          },
        );
        const live = [w.tokens[0], w.tokens[1]].includes((a as { token?: string }).token);
        expect(outcome === 'connected', JSON.stringify(a)).toBe(live);
        outcomes.add(outcome);
        socket.disconnect();
        await w.watch.expectUnchanged(`handshake ${JSON.stringify(a)?.slice(0, 200)}`);
      }),
      { numRuns: 150, examples: w.tokens.map((token): [{ token: string }] => [{ token }]) },
    );
    expect([...outcomes].sort()).toEqual(
      ['ADMISSION_EXPIRED', 'QUEUE_ENTRY_NOT_FOUND', 'QUEUE_TOKEN_INVALID', 'connected'].sort(),
    );
  });
});

describe('seats:subscribe and seats:unsubscribe', () => {
  /** Arguments for an emit (the ack, if any, is added after them). Built once the ids exist. */
  const argsFor = () => {
    const ids = fc.constantFrom(w.scheduleId, w.otherScheduleId, 999_999);
    const payload = fc.oneof(
      { arbitrary: fc.record({ scheduleId: ids }), weight: 3 },
      fc.record({ scheduleId: hostileValue }),
      fc.record({ scheduleId: ids, extra: hostileValue }),
      hostileValue,
    );
    return fc.oneof(
      { arbitrary: fc.tuple(payload), weight: 4 },
      fc.constant([]),
      fc.array(hostileValue, { maxLength: 3 }),
      fc.tuple(payload, hostileValue),
    );
  };

  it('acks every emit in the SPEC shape, joins a room only when allowed, writes nothing', async () => {
    const socket = await connected(w.open({ token: w.active.queueToken }));
    const home = w.roomsOf(socket).sort();
    const emitter = socket as unknown as {
      timeout(ms: number): { emitWithAck(...a: unknown[]): Promise<unknown> };
      emit(...a: unknown[]): void;
    };
    const event = fc.constantFrom('seats:subscribe', 'seats:unsubscribe');
    await fc.assert(
      fc.asyncProperty(event, argsFor(), fc.boolean(), async (name, args, withAck) => {
        const what = `${name} ${JSON.stringify(args)?.slice(0, 200)} ack=${withAck}`;
        // What the server receives: socket.io sends JSON (undefined becomes null or disappears).
        const wire = JSON.parse(JSON.stringify(args)) as unknown[];
        const valid = SeatsSubscription.safeParse(wire[0]);
        const joins =
          name === 'seats:subscribe' && valid.success && valid.data.scheduleId === w.scheduleId;
        if (withAck) {
          const ack = await emitter.timeout(3_000).emitWithAck(name, ...args);
          expectAck(ack, what);
          const ok = (ack as { ok: boolean }).ok;
          expect(ok, what).toBe(joins || (name === 'seats:unsubscribe' && valid.success));
          if (!valid.success) expect((ack as any).error.code, what).toBe('VALIDATION_FAILED');
        } else {
          emitter.emit(name, ...args);
          if (joins)
            await until(() => w.roomsOf(socket).includes(`s:${w.scheduleId}`), 3_000, what);
          else await sleep(5);
        }
        const expected = joins ? [...home, `s:${w.scheduleId}`] : home;
        expect(w.roomsOf(socket).sort(), what).toEqual(expected.sort());
        if (joins) {
          const left = await emitter
            .timeout(3_000)
            .emitWithAck('seats:unsubscribe', { scheduleId: w.scheduleId });
          expect(left).toEqual({ ok: true, data: { scheduleId: w.scheduleId } });
        }
        await w.watch.expectUnchanged(what);
      }),
      {
        numRuns: 200,
        examples: [
          ['seats:subscribe', [{ scheduleId: w.scheduleId }], true],
          ['seats:subscribe', [{ scheduleId: w.scheduleId }], false],
          ['seats:subscribe', [{ scheduleId: w.otherScheduleId }], true],
          ['seats:subscribe', [{ scheduleId: w.scheduleId }, 'extra'], true],
          ['seats:subscribe', [], true],
          ['seats:unsubscribe', [], true],
          ['seats:unsubscribe', [{ scheduleId: w.scheduleId }], true],
        ],
      },
    );
    expect(socket.connected).toBe(true);
  });
});

describe('queue:leave', () => {
  it('leaves the line whatever the arguments, and acks {ok: true} when there is an ack', async () => {
    const extra = fc.array(hostileValue, { maxLength: 2 });
    try {
      await fc.assert(
        fc.asyncProperty(extra, fc.boolean(), async (args, withAck) => {
          const what = `queue:leave ${JSON.stringify(args)?.slice(0, 200)} ack=${withAck}`;
          const queueToken = await w.joinWaiting();
          const socket = await connected(w.open({ token: queueToken }));
          const ended = nextEvent(socket, 'queue:ended', 3_000);
          const emitter = socket as unknown as {
            timeout(ms: number): { emitWithAck(...a: unknown[]): Promise<unknown> };
            emit(...a: unknown[]): void;
          };
          if (withAck) {
            expect(await emitter.timeout(3_000).emitWithAck('queue:leave', ...args), what).toEqual({
              ok: true,
              data: null,
            });
            // Leaving twice: the entry has ended.
            const again = await emitter.timeout(3_000).emitWithAck('queue:leave', ...args);
            expectAck(again, what);
            expect(again, what).toMatchObject({ ok: false, error: { code: 'ADMISSION_EXPIRED' } });
          } else emitter.emit('queue:leave', ...args);
          expect(await ended, what).toEqual({ concertId: w.concertId, reason: 'left' });
          const status = await w.api.get('/queue/status', {
            headers: { 'x-queue-token': queueToken },
          });
          expect(status.status, what).toBe(410);
          socket.disconnect();
        }),
        {
          numRuns: 40,
          examples: [
            [[], true],
            [[], false],
            [[{}], true],
            [[null, 1], false],
          ],
        },
      );
    } finally {
      await w.watch.rebase(); // the fans above joined and left on purpose
    }
  });
});

describe('afterwards', () => {
  it('is still up: /healthz answers, and a valid socket connects and subscribes', async () => {
    expect((await w.api.get('/healthz')).status).toBe(200);
    const socket = await connected(w.open({ token: w.active.queueToken }));
    const ack = await (socket as any)
      .timeout(3_000)
      .emitWithAck('seats:subscribe', { scheduleId: w.scheduleId });
    expect(ack).toEqual({ ok: true, data: { scheduleId: w.scheduleId } });
    expect(w.watch.seen.rejected).toBeGreaterThan(250);
  });
});
