import { performance } from 'node:perf_hooks';
import { LineupClient, type JoinResult } from '@lineup/client-sdk';
import { SourceAddresses } from './addresses.js';
import { Admin, instanceStats, type InstanceStats } from './admin.js';
import { pidsNamed, type CpuGroups } from './cpu.js';
import { createFans, type Fan } from './fans.js';
import { loadFetch } from './http.js';
import { errorCode, runPool } from './pool.js';
import type { OpStats } from './report.js';

/** The system under test, as every scenario sees it. */
export interface LoadTarget {
  /** Base URLs of the instances (requests and sockets are spread round-robin). */
  urls: string[];
  adminToken: string;
  /** With the secret below: fans are created in bulk in the database instead of signing up. */
  databaseUrl?: string;
  jwtSecret?: string;
  /** Local source addresses for connections (127.0.0.x). */
  sources?: SourceAddresses;
  /** Kept-alive HTTP connections per (instance, source address). */
  httpConnections?: number;
  /** Pids of the instances when the runner started them (CPU accounting); else asked via /admin/stats. */
  instancePids?: number[];
  log: (line: string) => void;
}

export class LoadContext {
  readonly admin: Admin;
  readonly fetch: ReturnType<typeof loadFetch>;

  constructor(readonly target: LoadTarget) {
    this.admin = new Admin(target.urls[0]!, target.adminToken);
    this.fetch = loadFetch({ sources: target.sources, maxSockets: target.httpConnections ?? 8 });
  }

  url(i: number): string {
    return this.target.urls[i % this.target.urls.length]!;
  }

  client(i: number, accessToken?: string): LineupClient {
    return new LineupClient({ baseUrl: this.url(i), accessToken, fetch: this.fetch });
  }

  /**
   * Runs a scenario and notes how many requests met the keep-alive race and were resent, and how
   * many connections the runner opened.
   */
  async scenario<T extends { figures: Record<string, unknown> }>(
    run: () => Promise<T>,
  ): Promise<T> {
    const before = this.fetch.stats.staleRetries;
    const opened = this.fetch.pool.opened;
    const result = await run();
    result.figures.httpStaleConnectionRetries = this.fetch.stats.staleRetries - before;
    result.figures.httpConnectionsOpened = this.fetch.pool.opened - opened;
    return result;
  }

  log(line: string): void {
    this.target.log(line);
  }

  /** Every instance's counters and memory; `gc` asks for a full collection first. */
  stats(gc = false): Promise<InstanceStats[]> {
    return instanceStats(this.target.urls, this.target.adminToken, gc);
  }

  /**
   * `count` fans with `points` each: in bulk through the database when the runner has its URL
   * and AUTH_JWT_SECRET, else by signing up over HTTP (scrypt: slow by design, fine for hundreds).
   */
  async fans(count: number, points = 0): Promise<Fan[]> {
    const { databaseUrl, jwtSecret } = this.target;
    if (databaseUrl && jwtSecret) return createFans(databaseUrl, jwtSecret, count, points);
    const tag = Math.random().toString(36).slice(2, 8);
    const fans: Fan[] = new Array<Fan>(count);
    await runPool(
      Array.from({ length: count }, (_, i) => i),
      16,
      async (i) => {
        const c = this.client(i);
        const res = await c.signUp({
          name: `Load fan ${i}`,
          phone: `010-${tag}-${i}`,
          password: 'load-runner-password',
        });
        if (points > 0) {
          for (let left = points; left > 0; left -= Math.min(left, 1_000_000))
            await c.charge(Math.max(1_000, Math.min(left, 1_000_000)));
        }
        fans[i] = { id: res.user.id, token: res.accessToken };
      },
    );
    return fans;
  }

  /** Joins every fan to the concert (`concurrency` in flight), recording into `op`. */
  async joinAll(
    concertId: number,
    fans: Fan[],
    concurrency: number,
    op: OpStats,
    deadlineMs = 300_000,
  ): Promise<{ joined: (JoinResult | undefined)[]; seconds: number }> {
    const joined = new Array<JoinResult | undefined>(fans.length);
    const run = await runPool(
      fans,
      concurrency,
      async (fan, i) => {
        const t0 = performance.now();
        try {
          joined[i] = await this.client(i, fan.token).joinQueue(concertId);
          op.record(performance.now() - t0);
        } catch (err) {
          op.record(performance.now() - t0, errorCode(err));
        }
      },
      deadlineMs,
    );
    return { joined, seconds: run.seconds };
  }

  /** Process groups for CPU accounting, when the instances run on this machine. */
  async cpuGroups(extra: CpuGroups = {}): Promise<CpuGroups> {
    const groups: CpuGroups = { ...extra };
    const local = this.target.urls.every((u) => /^https?:\/\/(127\.|localhost|\[::1\])/.test(u));
    if (local) {
      const pids =
        this.target.instancePids ?? (await this.stats().catch(() => [])).map((s) => s.pid);
      if (pids.length > 0) groups.instances = () => pids;
    }
    groups.postgres = () => pidsNamed('postgres');
    groups.redis = () => pidsNamed('redis-server');
    return groups;
  }
}
