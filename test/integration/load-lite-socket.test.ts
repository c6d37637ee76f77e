// The load runner's own Socket.IO client (load/lib/lite-socket.ts on load/lib/sio-framing.ts)
// against a real instance: the handshake with a queue token, the refusal of a bad one, events,
// acknowledgements and admission, so the framing the benchmarks rely on is the server's.
import { describe, expect, it } from 'vitest';
import type { QueueSocketStatus } from '@lineup/client-sdk/contract';
import { LiteQueueSocket } from '../../load/lib/lite-socket.js';
import { createConcert, setQueuePolicy } from '../support/fixtures.js';
import { useTestServer } from '../support/server.js';
import { bulkFans } from '../support/users.js';
import { until } from '../support/wait.js';

const ctx = useTestServer({ QUEUE_TICK_MS: '50', LEADER_LEASE_MS: '600' });

async function queueToken(concertId: number): Promise<string> {
  const [fan] = await bulkFans(ctx.server, 1);
  const res = await ctx.api.post(`/concerts/${concertId}/queue`, undefined, { token: fan!.token });
  expect(res.status).toBe(201);
  return res.body.queueToken;
}

describe('LiteQueueSocket', () => {
  it('connects with a queue token, hears its status, is admitted, and leaves with an ack', async () => {
    const { concertId } = await createConcert(ctx.api);
    await setQueuePolicy(ctx.api, concertId, { paused: true });
    const token = await queueToken(concertId);
    const statuses: QueueSocketStatus[] = [];
    const admitted: { concertId: number }[] = [];
    const socket = new LiteQueueSocket(
      { baseUrl: ctx.server.url, token },
      { status: (_at, s) => statuses.push(s), admitted: (_at, p) => admitted.push(p) },
    );
    try {
      await socket.connect();
      expect(socket.isConnected).toBe(true);
      await until(() => statuses.length > 0);
      expect(statuses[0]).toMatchObject({ concertId, status: 'waiting', position: 1 });

      await setQueuePolicy(ctx.api, concertId, { paused: false });
      await until(() => admitted.length > 0);
      expect(admitted[0]).toMatchObject({ concertId });

      expect(await socket.call('queue:leave')).toMatchObject({ ok: true });
    } finally {
      socket.close();
    }
    expect(await socket.call('queue:leave')).toEqual({
      ok: false,
      error: { code: 'NOT_CONNECTED' },
    });
  });

  it("rejects with the server's code when the token is not a queue token", async () => {
    const socket = new LiteQueueSocket({ baseUrl: ctx.server.url, token: 'not.a.token' });
    await expect(socket.connect()).rejects.toThrow('QUEUE_TOKEN_INVALID');
    expect(socket.isConnected).toBe(false);
  });
});
