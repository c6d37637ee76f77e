// Engine.IO v4 / Socket.IO v5 framing over a raw WebSocket, for k6 (which has no socket.io
// client). Pure functions, no k6 imports: the unit tests run them too.
//   server `0{"sid":..}` (open) -> client `40/queue,{"token":..}` (connect with auth)
//   server `40/queue,{"sid":..}` (connected) or `44/queue,{"message":"<CODE>",..}` (refused)
//   server `2` (ping) -> client `3` (pong)
//   server `42/queue,["<event>",<payload>]`; client `42/queue,<id>["<event>",..]` -> `43/queue,<id>[<ack>]`

export const NAMESPACE = '/queue';

/** The WebSocket URL of the Socket.IO endpoint for a base URL like http://host:3000. */
export function socketUrl(baseUrl: string): string {
  return `${baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '')}/socket.io/?EIO=4&transport=websocket`;
}

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

/** Decodes one text frame of the `/queue` namespace. */
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
    const [event, payload] = JSON.parse(body.slice(body.indexOf('['))) as [string, unknown];
    return { kind: 'event', event, payload };
  }
  if (type === '3') {
    const open = body.indexOf('[');
    const [payload] = JSON.parse(body.slice(open)) as [unknown];
    return { kind: 'ack', id: Number(body.slice(0, open)), payload };
  }
  return { kind: 'other', raw };
}

/** When the leader's tick admitted the fan: `admittedAt`, else activeUntil - activeIdleSeconds. */
export function admissionTime(
  payload: { activeUntil: string; admittedAt?: string },
  activeIdleSeconds: number,
): number {
  return payload.admittedAt
    ? Date.parse(payload.admittedAt)
    : Date.parse(payload.activeUntil) - activeIdleSeconds * 1000;
}

/** A fan's place as SPEC §5 computes it: exact as of `tick`; `awaiting` while a status is due. */
export interface Place {
  status: string;
  position: number;
  ticket: number | null;
  tick: number;
  awaiting: boolean;
}

export interface Progress {
  tick: number;
  admitted: number;
  departed: number[] | null;
  prequeue: number;
}

/**
 * Applies one `queue:progress` frame: `p − admitted − |{d ∈ departed : d < ticket}|` (pre-queue
 * fans take `prequeue`). Returns 'sync' on a gap in tick numbers or a fan computed at the head,
 * 'await' for `departed: null` (its status follows), 'ignored' for an older or repeated frame.
 */
export function applyFrame(place: Place, f: Progress): 'applied' | 'sync' | 'await' | 'ignored' {
  if (f.tick <= place.tick || place.awaiting) return 'ignored';
  if (f.tick !== place.tick + 1) return 'sync';
  if (f.departed === null) return 'await';
  let next = f.prequeue;
  if (place.status === 'waiting') {
    let ahead = f.admitted;
    for (const d of f.departed) if (place.ticket !== null && d < place.ticket) ahead++;
    next = place.position - ahead;
    if (next <= 0) return 'sync';
  }
  place.position = next;
  place.tick = f.tick;
  return 'applied';
}
