import type { QueueEndReason } from './contract/events.js';
import { QUEUE_END_REASONS, QUEUE_TOKEN_HEADER } from './contract/names.js';
import type { QueueStatus } from './contract/queue.js';
import { LineupError } from './errors.js';
import { joinUrl, request, type FetchLike } from './http.js';

export interface StatusPollerOptions {
  fetch: FetchLike;
  baseUrl: string;
  queueToken: string;
  intervalMs: number;
  onStatus: (status: QueueStatus) => void;
  /** 410: the entry is over, with `details.reason` when the server gave a known one. */
  onEnded: (reason: QueueEndReason) => void;
  /** 401 QUEUE_TOKEN_INVALID, 404 QUEUE_ENTRY_NOT_FOUND: polling again cannot help. */
  onFatal: (error: LineupError) => void;
}

const FATAL_CODES = new Set(['QUEUE_TOKEN_INVALID', 'QUEUE_ENTRY_NOT_FOUND']);

/**
 * Polls `GET /queue/status` every `intervalMs` (the waiting room's fallback when no socket gets
 * through). Network failures, 5xx and 429 are retried (after `Retry-After` when longer); the
 * answers that end an entry are passed on, after which it stops by itself.
 */
export class StatusPoller {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped by start/stop, so an answer to an earlier run neither reports nor reschedules. */
  private run = 0;
  private active = false;

  constructor(private readonly options: StatusPollerOptions) {}

  get running(): boolean {
    return this.active;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    void this.poll(++this.run);
  }

  stop(): void {
    this.active = false;
    this.run++;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async poll(run: number): Promise<void> {
    this.timer = undefined;
    const { fetch, baseUrl, queueToken, intervalMs } = this.options;
    let delay = intervalMs;
    try {
      const { body } = await request<QueueStatus>(fetch, joinUrl(baseUrl, '/queue/status'), {
        method: 'GET',
        headers: { accept: 'application/json', [QUEUE_TOKEN_HEADER]: queueToken },
      });
      if (run !== this.run) return; // stopped meanwhile (the socket is back: its news is fresher)
      this.options.onStatus(body);
    } catch (err) {
      if (run !== this.run || !(err instanceof LineupError)) return;
      if (err.status === 410) {
        this.stop();
        const reason = err.details?.reason;
        return this.options.onEnded(isQueueEndReason(reason) ? reason : 'expired');
      }
      if (FATAL_CODES.has(err.code)) {
        this.stop();
        return this.options.onFatal(err);
      }
      if (err.retryAfterSeconds !== undefined) {
        delay = Math.max(delay, err.retryAfterSeconds * 1000);
      }
    }
    if (run === this.run) this.timer = setTimeout(() => void this.poll(run), delay);
  }
}

/** The same check as `QueueEndReason.safeParse`, without the schema (and zod) in a browser bundle. */
function isQueueEndReason(value: unknown): value is QueueEndReason {
  return (QUEUE_END_REASONS as readonly unknown[]).includes(value);
}
