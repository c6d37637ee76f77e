import type { Grade } from '../catalogue/catalogue.entities.js';
import { JsonText } from '../../infra/http/hot-http.js';
import type { BookingStatements, SeatMapRead, SeatMapRow } from './booking.statements.js';
import type { SeatView } from './booking.views.js';

type Only = 'available' | undefined;

/**
 * An answer as served, serialized once: what the map at its version says for any database clock
 * in [from, until). Only lapsed holds make the answer depend on the clock, so the window is
 * bounded by the deadlines of the held seats around the clock it was built at.
 */
interface CachedAnswer {
  only: Only;
  from: number;
  until: number;
  json: JsonText;
}

interface CachedMap {
  version: number;
  prices: Record<Grade, number>;
  /** Sorted by seat id; `index` finds a seat's place. */
  rows: SeatMapRow[];
  index: Map<number, number>;
  /** Answers of this version (dropped when the map is patched), at most one per filter. */
  answers: CachedAnswer[];
}

/** A seat map as of a version; `seats` as of the database clock when it was read. */
export interface SeatMap {
  version: number;
  seats: SeatView[];
}

/** A seat map answer as of a version, serialized. */
export interface SeatMapAnswer {
  version: number;
  json: JsonText;
}

/**
 * Seat maps kept per instance. Each read asks PostgreSQL one constant-cost question: the schedule's
 * seat version, and the seats changed since the version this instance has (an index range on
 * (schedule_id, changed_version): none when nothing changed). Every seat change, on any instance,
 * bumps that version in its own commit (booking_hold / booking_pay once per statement, a trigger for
 * every other writer), so a map is patched with exactly what changed and never served staler than
 * the read's snapshot. A hold past its deadline reads as available
 * by the database clock even before the sweeper writes it (SPEC §2). The answer a version gives is
 * kept serialized until the version changes or the clock passes a held seat's deadline, so a read
 * of an unchanged map is one statement and a lookup.
 */
export class SeatMapCache {
  private readonly maps = new Map<number, CachedMap>();
  private readonly loading = new Map<number, Promise<{ map: CachedMap; now: number } | null>>();

  constructor(
    private readonly statements: BookingStatements,
    private readonly maxSchedules = 500,
  ) {}

  /** The seat map, or null when there is no such schedule. */
  async read(scheduleId: number, status?: 'available'): Promise<SeatMap | null> {
    const found = await this.current(scheduleId);
    if (!found) return null;
    const { map, now } = found;
    return { version: map.version, seats: views(map, now, status) };
  }

  /** The seat map's answer (its JSON), or null when there is no such schedule. */
  async answer(scheduleId: number, status?: 'available'): Promise<SeatMapAnswer | null> {
    const found = await this.current(scheduleId);
    if (!found) return null;
    const { map, now } = found;
    let answer = map.answers.find((a) => a.only === status && a.from <= now && now < a.until);
    if (!answer) {
      answer = { only: status, ...lapseWindow(map, now), json: serialize(map, now, status) };
      map.answers = [...map.answers.filter((a) => a.only !== status), answer];
    }
    return { version: map.version, json: answer.json };
  }

  /** The map at least as new as a read made now, and the database clock of that read. */
  private async current(scheduleId: number): Promise<{ map: CachedMap; now: number } | null> {
    let map = this.maps.get(scheduleId);
    if (!map) {
      const pending = this.loading.get(scheduleId);
      if (!pending) return this.loadWhole(scheduleId);
      // The first reads of a schedule share one whole read; it may have been sent before this
      // one arrived, so this one then asks what changed since (no read staler than its arrival).
      await pending.catch(() => undefined);
      map = this.maps.get(scheduleId);
      // No such schedule, or the read failed: its own whole read.
      if (!map) return this.current(scheduleId);
    }
    const read = await this.statements.seatMap(scheduleId, map.version);
    if (!read) {
      this.maps.delete(scheduleId);
      return null;
    }
    // Refreshed meanwhile by a concurrent read: the map is at least as new as this read needs.
    map = this.maps.get(scheduleId);
    // Forgotten meanwhile (a read of many other schedules): read it whole.
    if (!map) return this.current(scheduleId);
    if (read.version > map.version) patch(map, read);
    return { map, now: read.now };
  }

  /** Reads a schedule's whole map and keeps it; concurrent first reads wait for this one. */
  private loadWhole(scheduleId: number): Promise<{ map: CachedMap; now: number } | null> {
    const done = () => {
      if (this.loading.get(scheduleId) === whole) this.loading.delete(scheduleId);
    };
    const whole = this.statements.seatMap(scheduleId, null).then(
      (read) => {
        done();
        return read ? { map: this.remember(scheduleId, read), now: read.now } : null;
      },
      (err: unknown) => {
        done();
        throw err;
      },
    );
    this.loading.set(scheduleId, whole);
    return whole;
  }

  private remember(scheduleId: number, read: SeatMapRead): CachedMap {
    if (this.maps.size >= this.maxSchedules) {
      // Forget the oldest schedule (insertion order): seat maps of past sales fall out.
      this.maps.delete(this.maps.keys().next().value!);
    }
    const map: CachedMap = {
      version: read.version,
      prices: read.prices!,
      rows: read.seats,
      index: new Map(read.seats.map((row, i) => [row[0], i])),
      answers: [],
    };
    this.maps.set(scheduleId, map);
    return map;
  }
}

function patch(map: CachedMap, read: SeatMapRead): void {
  for (const row of read.seats) {
    const i = map.index.get(row[0]);
    if (i === undefined) {
      map.index.set(row[0], map.rows.length);
      map.rows.push(row);
    } else {
      map.rows[i] = row;
    }
  }
  map.version = read.version;
  map.answers = [];
}

/** A seat's status by the database clock `now`: a hold past its deadline is available. */
function statusAt(row: SeatMapRow, now: number): SeatMapRow[3] {
  const [, , , written, heldUntil] = row;
  return written === 'held' && heldUntil !== null && heldUntil <= now ? 'available' : written;
}

function views(map: CachedMap, now: number, only: Only): SeatView[] {
  const out: SeatView[] = [];
  for (const row of map.rows) {
    const status = statusAt(row, now);
    if (only && status !== only) continue;
    const [id, label, grade] = row;
    out.push({ id, label, grade, price: map.prices[grade], status });
  }
  return out;
}

function serialize(map: CachedMap, now: number, only: Only): JsonText {
  return new JsonText(JSON.stringify(views(map, now, only)));
}

/** The clocks around `now` for which the map says the same: between the held seats' deadlines. */
function lapseWindow(map: CachedMap, now: number): { from: number; until: number } {
  let from = -Infinity;
  let until = Infinity;
  for (const [, , , written, heldUntil] of map.rows) {
    if (written !== 'held' || heldUntil === null) continue;
    if (heldUntil <= now) from = Math.max(from, heldUntil);
    else until = Math.min(until, heldUntil);
  }
  return { from, until };
}
