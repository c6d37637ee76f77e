import { JsonText } from '../../infra/http/hot-http.js';
import type { CatalogueStatements, ScheduleFactsRow } from './catalogue.statements.js';

/** A schedule's list item, serialized around its seat counts. */
interface Fragments {
  /** `{"id":…,"startsAt":…,"venue":{…},"totalSeats":` */
  head: string;
  /** `,"prices":{…}}` */
  tail: string;
}

/**
 * The schedules list (SPEC `GET /concerts/:concertId/schedules`), written as its JSON text. Each
 * call reads the seat counts of the concert's upcoming schedules from PostgreSQL (one statement:
 * never staler than its snapshot, so a hold answered by any instance shows in a read sent after
 * it); the rest of each item never changes after the schedule is created (no route changes a
 * schedule's start, venue or prices, nor a venue's name: one that did would have to drop this
 * cache), so it is read once per instance and kept serialized. The answer is those pieces joined:
 * PostgreSQL builds no JSON object and the instance neither parses nor serializes the list.
 */
export class SchedulesList {
  private readonly known = new Map<number, Fragments>();

  constructor(
    private readonly statements: CatalogueStatements,
    private readonly maxSchedules = 10_000,
  ) {}

  /** The list's JSON, or null when there is no such concert. */
  async read(concertId: number, now: Date): Promise<JsonText | null> {
    const counts = await this.statements.scheduleCounts(concertId, now);
    if (!counts) return null;
    const fetched = new Map<number, Fragments>();
    const missing = counts.filter(([id]) => !this.known.has(id)).map(([id]) => id);
    if (missing.length > 0) {
      for (const row of await this.statements.scheduleFacts(missing)) {
        fetched.set(row.id, this.remember(row));
      }
    }
    let text = '[';
    for (let i = 0; i < counts.length; i++) {
      const [id, total, available] = counts[i]!;
      const f = this.known.get(id) ?? fetched.get(id);
      if (!f) throw new Error(`schedule ${id} has no facts`); // schedules are never deleted
      text += `${i > 0 ? ',' : ''}${f.head}${total},"availableSeats":${available}${f.tail}`;
    }
    return new JsonText(`${text}]`);
  }

  private remember(row: ScheduleFactsRow): Fragments {
    if (this.known.size >= this.maxSchedules) {
      // Forget the oldest (insertion order): schedules of past sales fall out.
      this.known.delete(this.known.keys().next().value!);
    }
    const { id, startsAt, venueId, venueName, VIP, R, S, A } = row;
    // The contract's key order: id, startsAt, venue, totalSeats, availableSeats, prices.
    const head = JSON.stringify({ id, startsAt, venue: { id: venueId, name: venueName } });
    const fragments = {
      head: `${head.slice(0, -1)},"totalSeats":`,
      tail: `,"prices":${JSON.stringify({ VIP, R, S, A })}}`,
    };
    this.known.set(id, fragments);
    return fragments;
  }
}
