import type { Grade } from '../catalogue/catalogue.entities.js';
import type { BookingStatements, SeatMapRead, SeatMapRow } from './booking.statements.js';
import type { SeatView } from './booking.views.js';

interface CachedMap {
  version: number;
  prices: Record<Grade, number>;
  /** Sorted by seat id; `index` finds a seat's place. */
  rows: SeatMapRow[];
  index: Map<number, number>;
}

/** A seat map as of a version; `seats` as of the database clock when it was read. */
export interface SeatMap {
  version: number;
  seats: SeatView[];
}

/**
 * Seat maps kept per instance. Each read asks PostgreSQL one constant-cost question: the schedule's
 * seat version, and the seats changed since the version this instance has (an index range on
 * (schedule_id, changed_version): none when nothing changed). Every seat change, on any instance,
 * bumps that version in its own commit (booking_hold / booking_pay once per statement, a trigger for
 * every other writer), so a map is patched with exactly what changed and never served staler than
 * the read's snapshot. A hold past its deadline reads as available
 * by the database clock even before the sweeper writes it (SPEC §2).
 */
export class SeatMapCache {
  private readonly maps = new Map<number, CachedMap>();

  constructor(
    private readonly statements: BookingStatements,
    private readonly maxSchedules = 500,
  ) {}

  /** The seat map, or null when there is no such schedule. */
  async read(scheduleId: number, status?: 'available'): Promise<SeatMap | null> {
    let map = this.maps.get(scheduleId);
    const read = await this.statements.seatMap(scheduleId, map ? map.version : -1);
    if (!read) {
      this.maps.delete(scheduleId);
      return null;
    }
    // Refreshed meanwhile by a concurrent read: the map is at least as new as this read needs.
    map = this.maps.get(scheduleId);
    if (!map) map = this.remember(scheduleId, read);
    else if (read.version > map.version) patch(map, read);
    return { version: map.version, seats: views(map, read.now, status) };
  }

  private remember(scheduleId: number, read: SeatMapRead): CachedMap {
    if (this.maps.size >= this.maxSchedules) {
      // Forget the oldest schedule (insertion order): seat maps of past sales fall out.
      this.maps.delete(this.maps.keys().next().value!);
    }
    const map: CachedMap = {
      version: read.version,
      prices: read.prices,
      rows: read.seats,
      index: new Map(read.seats.map((row, i) => [row[0], i])),
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
}

function views(map: CachedMap, now: number, only?: 'available'): SeatView[] {
  const out: SeatView[] = [];
  for (const [id, label, grade, written, heldUntil] of map.rows) {
    const status =
      written === 'held' && heldUntil !== null && heldUntil <= now ? 'available' : written;
    if (only && status !== only) continue;
    out.push({ id, label, grade, price: map.prices[grade], status });
  }
  return out;
}
