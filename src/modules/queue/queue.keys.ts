/**
 * Redis key layout. Every key starts with REDIS_KEY_PREFIX; one concert's keys share the hash
 * tag `{c:<id>}` so its scripts run on one Redis Cluster slot. The leader's keys share `{leader}`.
 */
export interface ConcertKeys {
  meta: string;
  policy: string;
  prequeue: string;
  waiting: string;
  active: string;
  activeMax: string;
  eid: string;
  ended: string;
  seen: string;
  /** zset of the tickets of waiting fans gone since the last tick (other than by admission). */
  departed: string;
  lease: string;
  /** list of "<bucket start ms>:<admitted>" of the last minutes (admission-history.store.ts). */
  admissions: string;
}

export class QueueKeys {
  readonly leaderLease: string;
  readonly leaderEpoch: string;
  /** Set of concert ids that have a line (the leader ticks these). */
  readonly registry: string;
  private readonly entryKeysByConcert = new Map<number, readonly string[]>();

  constructor(readonly prefix: string) {
    this.leaderLease = `${prefix}{leader}:lease`;
    this.leaderEpoch = `${prefix}{leader}:epoch`;
    this.registry = `${prefix}queues`;
  }

  concert(concertId: number): ConcertKeys {
    const tag = `${this.prefix}{c:${concertId}}:`;
    return {
      meta: `${tag}meta`,
      policy: `${tag}policy`,
      prequeue: `${tag}prequeue`,
      waiting: `${tag}waiting`,
      active: `${tag}active`,
      activeMax: `${tag}activeMax`,
      eid: `${tag}eid`,
      ended: `${tag}ended`,
      seen: `${tag}seen`,
      // A zset since positions became exact as of a tick (formerly a list under `departed`).
      departed: `${tag}departures`,
      lease: `${tag}lease`,
      admissions: `${tag}admissions`,
    };
  }

  /**
   * Join rate-limit counters of a user and of an address, in the concert's slot so the join
   * script counts them in the same call (the limits are per concert).
   */
  joinLimits(concertId: number, userId: number, address: string): [string, string] {
    const tag = `${this.prefix}{c:${concertId}}:rl:`;
    return [`${tag}user:${userId}`, `${tag}addr:${address}`];
  }

  /** Marks a join challenge's nonce (by its random part) as used; in the concert's slot. */
  usedNonce(concertId: number, id: string): string {
    return `${this.prefix}{c:${concertId}}:nonce:${id}`;
  }

  /**
   * The ten keys join, status and leave share, in their scripts' KEYS order. Made once per
   * concert (every join and status poll sends them); read-only.
   */
  entryKeys(concertId: number): readonly string[] {
    let keys = this.entryKeysByConcert.get(concertId);
    if (!keys) {
      // Bounded: an instance serves a few live lines; a long-lived one forgets old concerts.
      if (this.entryKeysByConcert.size >= 1_000) this.entryKeysByConcert.clear();
      keys = Object.freeze(this.makeEntryKeys(concertId));
      this.entryKeysByConcert.set(concertId, keys);
    }
    return keys;
  }

  private makeEntryKeys(concertId: number): string[] {
    const k = this.concert(concertId);
    return [
      k.meta,
      k.policy,
      k.prequeue,
      k.waiting,
      k.active,
      k.activeMax,
      k.eid,
      k.ended,
      k.seen,
      k.departed,
    ];
  }
}
