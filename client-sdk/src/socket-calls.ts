import type { AckResult, SeatsSubscription } from './contract/events.js';
import type { Deadline } from './cancel.js';
import type { QueueSocketStatus } from './contract/queue.js';
import { ACK_TIMEOUT, LineupError, NOT_CONNECTED } from './errors.js';
import type { QueueSocket } from './queue-types.js';

export interface SocketCallsDeps {
  /** The current socket, if any. */
  socket: () => QueueSocket | undefined;
  /** Why no call can succeed any more (closed, ended, failed), if that is so. */
  unavailable: () => LineupError | undefined;
  /** How long a call waits for a connection, and then for its acknowledgement. */
  timeoutMs: number;
}

/**
 * Acknowledged client-to-server events (SPEC §5): waits for a connection when there is none yet,
 * then for the `{ok, data} | {ok: false, error}` answer; a refusal becomes a LineupError with
 * the server's code.
 */
export class SocketCalls {
  private readonly waiters = new Set<(err?: LineupError) => void>();

  constructor(private readonly deps: SocketCallsDeps) {}

  /** The socket connected: calls waiting for it go ahead. */
  connected(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Nothing will connect any more: calls waiting for it fail with `error`. */
  abort(error: LineupError): void {
    for (const waiter of [...this.waiters]) waiter(error);
  }

  call(event: 'queue:leave', payload?: undefined, deadline?: Deadline): Promise<null>;
  call(event: 'queue:sync', payload?: undefined, deadline?: Deadline): Promise<QueueSocketStatus>;
  call(
    event: 'seats:subscribe' | 'seats:unsubscribe',
    payload: SeatsSubscription,
    deadline?: Deadline,
  ): Promise<SeatsSubscription>;
  async call(
    event: 'queue:leave' | 'queue:sync' | 'seats:subscribe' | 'seats:unsubscribe',
    payload?: SeatsSubscription,
    deadline?: Deadline,
  ): Promise<unknown> {
    deadline?.check();
    const socket = await this.cancellable(this.whenConnected(), deadline);
    let result: AckResult<unknown>;
    try {
      const timed = socket.timeout(this.deps.timeoutMs);
      result = await this.cancellable(
        event === 'queue:leave' || event === 'queue:sync'
          ? timed.emitWithAck(event)
          : timed.emitWithAck(event, payload!),
        deadline,
      );
    } catch (err) {
      if (deadline?.error) throw deadline.error;
      // Timed out, or the socket dropped before the answer came.
      throw new LineupError({
        code: ACK_TIMEOUT,
        message: `no answer to ${event}: ${err instanceof Error ? err.message : String(err)}`,
        cause: err,
      });
    }
    if (!result.ok) {
      // The server's refusal, with the status the HTTP API gives its code (not 0).
      throw LineupError.fromServerCode(result.error.code, result.error.message);
    }
    return result.data;
  }

  /** `promise`, or the deadline's ABORTED/TIMEOUT error if that fires first. */
  private cancellable<T>(promise: Promise<T>, deadline: Deadline | undefined): Promise<T> {
    if (!deadline) return promise;
    return new Promise<T>((resolve, reject) => {
      const off = deadline.onFire(reject);
      promise.then(
        (value) => (off(), resolve(value)),
        (err: unknown) => (off(), reject(err)),
      );
    });
  }

  /** The connected socket, waiting up to timeoutMs for it. */
  private whenConnected(): Promise<QueueSocket> {
    const early = this.deps.unavailable();
    if (early) return Promise.reject(early);
    const now = this.deps.socket();
    if (now?.connected) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          done(
            new LineupError({
              code: NOT_CONNECTED,
              message: `the socket did not connect within ${this.deps.timeoutMs} ms`,
            }),
          ),
        this.deps.timeoutMs,
      );
      const done = (err?: LineupError) => {
        clearTimeout(timer);
        this.waiters.delete(done);
        const socket = this.deps.socket();
        if (err) reject(err);
        else if (socket?.connected) resolve(socket);
        else
          reject(new LineupError({ code: NOT_CONNECTED, message: 'the socket is not connected' }));
      };
      this.waiters.add(done);
    });
  }
}
