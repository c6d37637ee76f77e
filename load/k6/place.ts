// A fan's place in the line as the k6 waiting-room script computes it from the frames (SPEC §5).
// Pure functions, no k6 imports: the unit tests run them too.

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
