import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { expect } from 'vitest';

// Raw Engine.IO/Socket.IO frames for the socket fuzz test: what a hostile client can put on the
// wire that socket.io-client would never send (broken packets, reserved or numeric event names,
// ack ids out of range, binary placeholders without attachments).

export interface RawSocket {
  /** Text frames received so far, the Engine.IO open packet first. */
  frames: string[];
  closed: boolean;
  send(frame: string): void;
  /** Waits until no frame arrived for `quietMs` (or the server closed), at most `maxMs`. */
  settle(quietMs?: number, maxMs?: number): Promise<void>;
  close(): void;
}

export async function rawSocket(baseUrl: string): Promise<RawSocket> {
  const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(url);
  let last = Date.now();
  const raw: RawSocket = {
    frames: [],
    closed: false,
    send: (frame) => {
      last = Date.now(); // settle() then waits for what this frame brings
      if (ws.readyState === WebSocket.OPEN) ws.send(frame);
    },
    settle: async (quietMs = 30, maxMs = 1_000) => {
      const deadline = Date.now() + maxMs;
      while (!raw.closed && Date.now() < deadline && Date.now() - last < quietMs) await sleep(5);
    },
    close: () => ws.close(),
  };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    last = Date.now();
    raw.frames.push(isBinary ? `<binary ${data.length}>` : data.toString('utf8'));
    // Engine.IO heartbeat: answer the server's ping so it does not close us mid-test.
    if (!isBinary && data.toString('utf8') === '2') ws.send('3');
  });
  ws.on('close', () => (raw.closed = true));
  ws.on('error', () => (raw.closed = true));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return raw;
}

/** Connect errors a fan may see (SPEC §5, plus the per-address socket cap). */
export const HANDSHAKE_CODES = [
  'QUEUE_TOKEN_INVALID',
  'QUEUE_ENTRY_NOT_FOUND',
  'ADMISSION_EXPIRED',
  'RATE_LIMITED',
];

/** SPEC §5: an ack is `{ok: true, data}` or `{ok: false, error: {code, message}}`. */
export function expectAck(ack: unknown, context: string): void {
  const a = ack as { ok?: unknown };
  if (a?.ok === true) {
    expect(Object.keys(a).sort(), context).toEqual(['data', 'ok']);
    return;
  }
  expect(ack, context).toEqual({
    ok: false,
    error: { code: expect.any(String), message: expect.any(String) },
  });
}

/**
 * Checks every Socket.IO packet the server sent on the /queue namespace: acks in the SPEC shape,
 * connect errors with a known code as message and `data.code`.
 */
export function expectServerFrames(frames: string[], context: string): void {
  for (const frame of frames) {
    // The ack id is echoed as the server's parser read it (1e+30 for a 31-digit id).
    const ack = /^43\/queue,[^[]*(\[.*)$/s.exec(frame);
    if (ack) {
      const args = JSON.parse(ack[1]!) as unknown[];
      expect(args, `${context}: ${frame}`).toHaveLength(1);
      expectAck(args[0], `${context}: ${frame}`);
    }
    const refused = /^44\/queue,(.*)$/s.exec(frame);
    if (refused) {
      const err = JSON.parse(refused[1]!) as { message: string; data?: { code?: string } };
      expect(HANDSHAKE_CODES, `${context}: ${frame}`).toContain(err.message);
      expect(err.data?.code, `${context}: ${frame}`).toBe(err.message);
    }
  }
}
