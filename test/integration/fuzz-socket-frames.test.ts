import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileValue } from '../support/fuzz-arbitraries.js';
import { socketFuzzWorld, type SocketFuzzWorld } from '../support/fuzz-socket-world.js';
import { expectServerFrames, rawSocket } from '../support/fuzz-sockets.js';
import { connected } from '../support/sockets.js';
import { until } from '../support/wait.js';

// SPEC §3.7 and §5 below socket.io-client: raw Engine.IO/Socket.IO frames on a WebSocket —
// broken packets, reserved, numeric and unknown event names, absurd ack ids, binary placeholders
// without attachments, connects with arbitrary auth. The server stays up, answers what it answers
// in the SPEC shapes, leaks no socket, and writes nothing to PostgreSQL or Redis.

let w: SocketFuzzWorld;
beforeAll(async () => {
  w = await socketFuzzWorld();
});
afterAll(() => w?.close());

describe('raw protocol frames', () => {
  it('survives broken packets, reserved and unknown events; acks keep the SPEC shape; writes nothing', async () => {
    const connect = `40/queue,${JSON.stringify({ token: w.active.queueToken })}`;
    const event = fc
      .oneof(
        { arbitrary: fc.constantFrom('seats:subscribe', 'seats:unsubscribe'), weight: 4 },
        fc.constantFrom('nope', 'toString', '__proto__', 'hasOwnProperty', 'queue:status'),
        fc.constantFrom('connect', 'disconnect', 'disconnecting', 'newListener', 'error'),
        fc.integer(),
        fc.string(),
      )
      .filter((e) => e !== 'queue:leave'); // leaving is a write: fuzz-socket.test.ts
    const ackId = fc.oneof(
      fc.constant(''),
      fc.nat().map(String),
      fc.constantFrom('-1', '9'.repeat(30)),
    );
    const packet = fc.oneof(
      fc.constant(connect),
      hostileValue.map((auth) => `40/queue,${JSON.stringify(auth) ?? ''}`),
      {
        arbitrary: fc
          .tuple(ackId, event, fc.array(hostileValue, { maxLength: 3 }))
          .map(([id, e, a]) => `42/queue,${id}${JSON.stringify([e, ...a])}`),
        weight: 4,
      },
      fc.tuple(ackId, hostileValue).map(([id, a]) => `42/queue,${id}${JSON.stringify(a) ?? ''}`),
      fc.constantFrom(
        '40', '40/queue', '40/queue,', '40/nope,{}', '41/queue,', '42/queue,', '42/queue,1[]',
        '43/queue,1[]', '45/queue,1-["seats:subscribe",{"_placeholder":true,"num":0}]',
        '451-/queue,["seats:subscribe",{"_placeholder":true,"num":7}]', '46/queue,1-[]',
        '4', '49', '4x', '2', '3', '5', '6', '1', '0', '', '2probe',
      ),
      fc.string({ unit: 'binary', maxLength: 100 }),
    ); // prettier-ignore
    const connectFirst = fc.boolean();
    const before = w.server.gateway.localSockets;
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(
        connectFirst,
        fc.array(packet, { minLength: 1, maxLength: 6 }),
        async (first, packets) => {
          const raw = await rawSocket(w.server.url);
          await raw.settle();
          // Like a real client, wait for the namespace to accept us before sending events (the
          // server drops packets for a namespace it has not connected yet).
          if (first) raw.send(connect);
          await raw.settle();
          for (const p of packets) raw.send(p);
          await raw.settle();
          const what = `frames ${first ? '(connected) ' : ''}${JSON.stringify(packets).slice(0, 300)}`;
          expectServerFrames(raw.frames, what);
          for (const f of raw.frames) seen.add(/^4[0-4]\/queue,/.exec(f)?.[0] ?? '');
          raw.close();
          await w.watch.expectUnchanged(what);
        },
      ),
      {
        numRuns: 150,
        examples: [
          [
            true,
            [
              '42/queue,1["seats:subscribe",{}]',
              '42/queue,2["seats:subscribe"]',
              '42/queue,3["seats:unsubscribe",{"scheduleId":1},"x"]',
            ],
          ],
          [false, ['40/queue,{"token":"not.a.jwt"}']],
          [false, ['40/queue,{}']],
        ],
      },
    );
    // Some frames connected, were refused, or were acknowledged.
    expect([...seen]).toEqual(expect.arrayContaining(['40/queue,', '43/queue,', '44/queue,']));
    // Every connection the garbage made is gone (none leaked in the gateway's books).
    await until(() => w.server.gateway.localSockets === before, 5_000, 'sockets closed');
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
    w.closeSockets();
  });
});
