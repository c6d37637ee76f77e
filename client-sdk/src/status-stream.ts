// `QueueConnection.statuses()`: statuses as an async iterator. Written by hand (a few lines)
// rather than with Node's `events.on`, which needs Node's EventEmitter and does not run in browsers.
import type { QueueStatus } from './contract/queue.js';
import { LineupError } from './errors.js';

/** How many unread statuses a slow loop keeps (the oldest are dropped: the newest is what counts). */
const MAX_BUFFERED = 100;

export class StatusStream implements AsyncIterableIterator<QueueStatus> {
  private readonly buffer: QueueStatus[] = [];
  private readonly readers: {
    resolve: (r: IteratorResult<QueueStatus>) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private done = false;
  private failure: unknown;
  private readonly cleanups: (() => void)[] = [];
  /** The last status handed to push(). */
  lastPushed: QueueStatus | undefined;

  constructor(signal?: AbortSignal) {
    if (!signal) return;
    const onAbort = () => this.finish(LineupError.aborted('statuses()', signal.reason));
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      this.cleanups.push(() => signal.removeEventListener('abort', onAbort));
    }
  }

  /** Runs `cleanup` once the stream is over (finished, returned or thrown). */
  onDone(cleanup: () => void): void {
    if (this.done) cleanup();
    else this.cleanups.push(cleanup);
  }

  push(status: QueueStatus): void {
    if (this.done) return;
    this.lastPushed = status;
    const reader = this.readers.shift();
    if (reader) return reader.resolve({ value: status, done: false });
    this.buffer.push(status);
    if (this.buffer.length > MAX_BUFFERED) this.buffer.shift();
  }

  /** Ends the stream: buffered statuses are still read, then `error` is thrown, or it is done. */
  finish(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.failure = error;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    for (const reader of this.readers.splice(0)) {
      if (error !== undefined) reader.reject(error);
      else reader.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<QueueStatus>> {
    const value = this.buffer.shift();
    if (value !== undefined) return Promise.resolve({ value, done: false });
    if (this.done) {
      const failure = this.failure;
      if (failure === undefined) return Promise.resolve({ value: undefined, done: true });
      this.failure = undefined; // thrown once; the iterator is done afterwards
      return Promise.reject(failure);
    }
    return new Promise((resolve, reject) => this.readers.push({ resolve, reject }));
  }

  /** `break` / `return` in a `for await` loop: stops listening. */
  return(): Promise<IteratorResult<QueueStatus>> {
    this.buffer.length = 0;
    this.finish();
    this.failure = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
