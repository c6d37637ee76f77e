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

/**
 * One call's cancellation: `signal` fires when the caller aborts or the time limit runs out.
 * A call with neither can never fire: its AbortController is only made if someone asks for the
 * signal (an AbortController and its signal cost more CPU than the rest of a call's bookkeeping,
 * which a program sending thousands of calls a second, like the load runner, pays on each).
 */
export class Deadline {
  private controller: AbortController | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly unlisten: (() => void) | undefined;
  /** Whether the caller's signal or a time limit can abort this call. */
  readonly cancellable: boolean;

  constructor(
    private readonly what: string,
    options: CallOptions = {},
  ) {
    const { signal, timeoutMs } = options;
    const timed = timeoutMs !== undefined && Number.isFinite(timeoutMs);
    this.cancellable = signal !== undefined || timed;
    if (!this.cancellable) return;
    this.controller = new AbortController();
    if (signal?.aborted) {
      this.controller.abort(LineupError.aborted(what, signal.reason));
      return;
    }
    if (signal) {
      const onAbort = () => this.fire(LineupError.aborted(what, signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      this.unlisten = () => signal.removeEventListener('abort', onAbort);
    }
    if (timed) {
      this.timer = setTimeout(
        () => this.fire(LineupError.timeout(what, timeoutMs)),
        Math.max(0, timeoutMs),
      );
    }
  }

  /** Aborts when the caller's signal fires or the time runs out (its reason: the LineupError). */
  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  /** The ABORTED/TIMEOUT error once fired, else undefined. */
  get error(): LineupError | undefined {
    const signal = this.controller?.signal;
    if (!signal?.aborted) return undefined;
    const reason: unknown = signal.reason;
    return reason instanceof LineupError ? reason : undefined;
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
    if (!this.cancellable) return () => undefined;
    const signal = this.signal;
    const handler = () => listener(this.error ?? LineupError.aborted(this.what));
    signal.addEventListener('abort', handler, { once: true });
    return () => signal.removeEventListener('abort', handler);
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
    const controller = (this.controller ??= new AbortController());
    if (controller.signal.aborted) return;
    this.dispose();
    controller.abort(error);
  }
}
