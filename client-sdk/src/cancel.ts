// Cancellation and time limits for every SDK call: the caller's AbortSignal and `timeoutMs` become
// one signal, and whichever fires first names the error (ABORTED or TIMEOUT), so a cancelled call
// never looks like an outage (NETWORK_ERROR). Written by hand: `AbortSignal.any`/`.timeout` do
// not say which of the two fired, and older browsers lack `any`.
import { LineupError } from './errors.js';

export interface CallOptions {
  /** Cancels the call: it rejects with `ABORTED` (the HTTP request is aborted too). */
  signal?: AbortSignal;
  /** Gives up after this many milliseconds: the call rejects with `TIMEOUT`. */
  timeoutMs?: number;
}

/** One call's cancellation: `signal` fires when the caller aborts or the time limit runs out. */
export class Deadline {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly unlisten: (() => void) | undefined;

  constructor(
    private readonly what: string,
    options: CallOptions = {},
  ) {
    const { signal, timeoutMs } = options;
    if (signal?.aborted) {
      this.controller.abort(LineupError.aborted(what, signal.reason));
      return;
    }
    if (signal) {
      const onAbort = () => this.fire(LineupError.aborted(what, signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      this.unlisten = () => signal.removeEventListener('abort', onAbort);
    }
    if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
      this.timer = setTimeout(
        () => this.fire(LineupError.timeout(what, timeoutMs)),
        Math.max(0, timeoutMs),
      );
    }
  }

  /** Aborts when the caller's signal fires or the time runs out (its reason: the LineupError). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The ABORTED/TIMEOUT error once fired, else undefined. */
  get error(): LineupError | undefined {
    const reason: unknown = this.controller.signal.reason;
    return this.controller.signal.aborted && reason instanceof LineupError ? reason : undefined;
  }

  /** Throws the ABORTED/TIMEOUT error if it has fired. */
  check(): void {
    const err = this.error;
    if (err) throw err;
  }

  /** Calls `listener` once with the error when it fires (at once if it already has). */
  onFire(listener: (error: LineupError) => void): () => void {
    const now = this.error;
    if (now) {
      listener(now);
      return () => undefined;
    }
    const handler = () => listener(this.error ?? LineupError.aborted(this.what));
    this.controller.signal.addEventListener('abort', handler, { once: true });
    return () => this.controller.signal.removeEventListener('abort', handler);
  }

  /** Waits `ms`, or rejects with the error as soon as it fires. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        resolve();
      }, ms);
      const off = this.onFire((err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Stops the clock and forgets the caller's signal (call when the call is over). */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.unlisten?.();
  }

  private fire(error: LineupError): void {
    if (this.controller.signal.aborted) return;
    this.dispose();
    this.controller.abort(error);
  }
}
