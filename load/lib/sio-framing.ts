// Engine.IO v4 / Socket.IO v5 framing over a raw WebSocket: the one implementation both load
// clients use, the k6 scripts (k6 has no socket.io client) and the Node runner's LiteQueueSocket
// (socket.io-client's per-socket machinery costs more than the server under test at tens of
// thousands of sockets). Pure string functions with no imports, so k6 can bundle it (no Node
// modules) and the unit tests run it. All frames are text:
//   server `0{"sid":..,"pingInterval":..}` (Engine.IO open) -> client `40/queue,{"token":..}`
//   server `40/queue,{"sid":..}` (connected) or `44/queue,{"message":"<CODE>","data":{..}}`
//   server `2` (ping) -> client `3` (pong); `1` Engine.IO close; `41/queue,` namespace disconnect
//   server `42/queue,["<event>",<payload>]`; client `42/queue,<id>["<event>",..]` -> `43/queue,<id>[<ack>]`

export const NAMESPACE = '/queue';

/** The WebSocket URL of the Socket.IO endpoint for a base URL like http://host:3000. */
export function socketUrl(baseUrl: string, path = '/socket.io/'): string {
  return `${baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}${path}?EIO=4&transport=websocket`;
}

export const PONG = '3';

export function connectFrame(token: string, nsp = NAMESPACE): string {
  return `40${nsp},${JSON.stringify({ token })}`;
}

export function emitFrame(
  event: string,
  ackId?: number,
  nsp = NAMESPACE,
  ...args: unknown[]
): string {
  return `42${nsp},${ackId === undefined ? '' : ackId}${JSON.stringify([event, ...args])}`;
}

export type Frame =
  | { kind: 'open' }
  | { kind: 'ping' }
  | { kind: 'close' }
  | { kind: 'connected' }
  | { kind: 'refused'; code: string }
  | { kind: 'event'; event: string; payload: unknown }
  | { kind: 'ack'; id: number; payload: unknown }
  | { kind: 'disconnected' }
  | { kind: 'other'; raw: string };

// The last event decoded. A line's `queue:progress` frame reaches every socket of the line as the
// very same string, so it is parsed once per process (or k6 VU), not once per socket. Callers
// must treat an event's payload as read-only: it may be shared.
let lastEventRaw = '';
let lastEvent: Frame | undefined;

/** Decodes one text frame of the namespace `nsp`. */
export function parseFrame(raw: string, nsp = NAMESPACE): Frame {
  const t = raw.charAt(0);
  if (t === '0') return { kind: 'open' };
  if (t === '2') return { kind: 'ping' };
  if (t === '1') return { kind: 'close' };
  if (t !== '4') return { kind: 'other', raw };
  const type = raw.charAt(1);
  const prefix = `4${type}${nsp},`;
  const body = raw.startsWith(prefix) ? raw.slice(prefix.length) : raw.slice(2);
  if (type === '0') return { kind: 'connected' };
  if (type === '1') return { kind: 'disconnected' };
  if (type === '4') {
    const err = JSON.parse(body) as { message?: string; data?: { code?: string } };
    return { kind: 'refused', code: err.data?.code ?? err.message ?? 'CONNECT_ERROR' };
  }
  if (type === '2') {
    if (raw === lastEventRaw && lastEvent) return lastEvent;
    const [event, payload] = JSON.parse(body.slice(body.indexOf('['))) as [string, unknown];
    lastEvent = { kind: 'event', event, payload };
    lastEventRaw = raw;
    return lastEvent;
  }
  if (type === '3') {
    const open = body.indexOf('[');
    const [payload] = JSON.parse(body.slice(open)) as [unknown];
    return { kind: 'ack', id: Number(body.slice(0, open)), payload };
  }
  return { kind: 'other', raw };
}
