import type { QueueAdmitted, QueueEnded, SeatsSubscription } from './contract/events.js';
import { Deadline, type CallOptions } from './cancel.js';
import type { QueueStatus } from './contract/queue.js';
import { TypedEmitter } from './emitter.js';
import { LineupError, NOT_CONNECTED } from './errors.js';
import { globalFetch, type FetchLike } from './http.js';
import { concertIdOfToken, withoutUndefined } from './queue-helpers.js';
import {
  CONNECTION_CLOSED,
  QUEUE_ENDED,
  type QueueConnectionEvents,
  type LeaveResult,
  type QueueConnectionOptions,
  type QueueMode,
} from './queue-types.js';
import { leaveQueueEntry } from './queue-leave.js';
import { StatusStream } from './status-stream.js';
import { QueueTransport, type QueueTransportOptions } from './queue-transport.js';

/**
 * The waiting-room connection of one queue entry (SPEC §5): a socket.io socket on `/queue` that
 * reconnects with exponential backoff and jitter, falls back to polling `GET /queue/status` when
 * the socket cannot connect (a proxy dropping WebSocket upgrades), and returns to the socket as
 * soon as it connects again. Listen with `on('status' | 'admitted' | 'ended' | 'seats' | 'mode' |
 * 'error', ...)`, then call `connect()`.
 *
 * This class holds the entry's state and the public API; the socket, reconnection, polling
 * fallback and progress frames live in `QueueTransport` (queue-transport.ts).
 */
export class QueueConnection extends TypedEmitter<QueueConnectionEvents> {
  private readonly options: QueueTransportOptions;
  private readonly fetchImpl: FetchLike;
  private readonly transport: QueueTransport;
  private lastStatus: QueueStatus | undefined;
  private admission: QueueAdmitted | undefined;
  private ending: QueueEnded | undefined;
  private failure: LineupError | undefined;
  private closed = false;
  private started = false;
  /** Called once by close(): pending waits and status streams settle. */
  private readonly closers = new Set<() => void>();

  constructor(options: QueueConnectionOptions) {
    super();
    this.fetchImpl = options.fetch ?? globalFetch;
    this.options = {
      pollIntervalMs: 2_000,
      fallbackAfterMs: 5_000,
      ackTimeoutMs: 10_000,
      ...withoutUndefined(options),
      fetch: this.fetchImpl,
    };
    this.transport = new QueueTransport(this.options, {
      isClosed: () => this.closed,
      unavailable: () => this.closedError(),
      onStatus: (status) => this.onStatus(status),
      onAdmitted: (admission) => this.onAdmitted(admission),
      onEnded: (ending) => this.onEnded(ending),
      onPollEnded: (reason) => this.onEnded({ concertId: this.concertId(), reason }),
      onSeats: (change) => this.emit('seats', change),
      onMode: (mode) => this.emit('mode', mode),
      onFail: (error) => this.fail(error),
    });
  }

  /** The last status heard (from the socket or a poll); after admission, `status: 'active'`. */
  get status(): QueueStatus | undefined {
    return this.lastStatus;
  }

  get mode(): QueueMode {
    return this.transport.mode;
  }

  /** True while the socket is connected. */
  get connected(): boolean {
    return this.transport.connected;
  }

  /** True once closed: by `close()`, by the entry's end, or by a final error. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The admission, once reported. */
  get admitted(): QueueAdmitted | undefined {
    return this.admission;
  }

  /** Starts the socket (and the fallback clock). Calling it again does nothing. */
  connect(): this {
    if (this.closed) throw new Error('this QueueConnection is closed; create a new one');
    if (this.started) return this;
    this.started = true;
    this.transport.start();
    return this;
  }

  /**
   * Stops everything: socket, reconnection, polling. No events follow; every pending
   * `waitForAdmission()` and socket call rejects with `CONNECTION_CLOSED` (or `QUEUE_ENDED` /
   * the final error when the entry's end or a failure closed it), and `statuses()` loops end.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.stop();
    const why = this.closedError()!;
    this.transport.calls.abort(why);
    for (const closer of [...this.closers]) closer();
    this.closers.clear();
  }

  /**
   * Leaves the line or gives up the admission: over the socket when connected, else with
   * `DELETE /queue`. Emits `ended` and closes the connection. An entry that had already ended
   * (admission expired, paid, removed, left before) resolves too: `{left: false, reason}`.
   */
  leave(options: CallOptions = {}): Promise<LeaveResult> {
    return leaveQueueEntry(
      {
        ending: () => this.ending,
        socketConnected: () => this.transport.connected,
        calls: this.transport.calls,
        fetch: this.fetchImpl,
        baseUrl: this.options.baseUrl,
        queueToken: this.options.queueToken,
        end: (reason) => this.onEnded({ concertId: this.concertId(), reason }),
      },
      options,
    );
  }

  /**
   * Subscribes to `seats:changed` of a schedule (active fans of this concert only). Waits up to
   * `ackTimeoutMs` for a connection. Kept across reconnects. Rejects with the server's code.
   */
  async subscribeSeats(scheduleId: number, options: CallOptions = {}): Promise<SeatsSubscription> {
    const deadline = new Deadline('subscribeSeats', options);
    try {
      return await this.transport.subscribeSeats(scheduleId, deadline);
    } finally {
      deadline.dispose();
    }
  }

  async unsubscribeSeats(
    scheduleId: number,
    options: CallOptions = {},
  ): Promise<SeatsSubscription> {
    this.transport.forgetSeats(scheduleId);
    // Not connected: the server has no subscription for this socket, and none is restored.
    if (!this.transport.connected) return { scheduleId };
    const deadline = new Deadline('unsubscribeSeats', options);
    try {
      return await this.transport.calls.call('seats:unsubscribe', { scheduleId }, deadline);
    } finally {
      deadline.dispose();
    }
  }

  /**
   * Resolves with the admission (at once if already admitted). Rejects with `QUEUE_ENDED` when
   * the entry ends, the final error on a failure, `CONNECTION_CLOSED` on `close()`, and
   * `ABORTED` / `TIMEOUT` for `signal` / `timeoutMs` (which leave the connection open).
   */
  waitForAdmission(options: CallOptions = {}): Promise<QueueAdmitted> {
    if (this.admission) return Promise.resolve(this.admission);
    const early = this.closedError();
    if (early) return Promise.reject(early);
    const deadline = new Deadline('waitForAdmission', options);
    if (deadline.error) return Promise.reject(deadline.error);
    return new Promise((resolve, reject) => {
      const settle = (fn: () => void) => {
        offAdmitted();
        offDeadline();
        this.closers.delete(onClose);
        deadline.dispose();
        fn();
      };
      const onClose = () => settle(() => reject(this.closedError()));
      const offAdmitted = this.on('admitted', (a) => settle(() => resolve(a)));
      const offDeadline = deadline.onFire((err) => settle(() => reject(err)));
      this.closers.add(onClose);
    });
  }

  /**
   * The fan's statuses as an async iterator: the last known status first (if any), then each
   * `status` (and the `active` status on admission). Ends when the connection closes (entry
   * ended, `close()`, `break`/`return` in the loop); throws the final error after a failure and
   * `ABORTED` when `signal` fires. A slow loop sees at most the 100 latest statuses.
   */
  statuses(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<QueueStatus> {
    const stream = new StatusStream(options.signal);
    if (this.closed) {
      stream.finish(this.failure);
      return stream;
    }
    if (this.lastStatus) stream.push(this.lastStatus);
    const offs = [
      this.on('status', (s) => stream.push(s)),
      // queue:admitted emits no status event of its own: the active status it implies.
      this.on('admitted', () => {
        if (this.lastStatus && stream.lastPushed?.status !== 'active') stream.push(this.lastStatus);
      }),
    ];
    const onClose = () => stream.finish(this.failure);
    this.closers.add(onClose);
    stream.onDone(() => {
      for (const off of offs) off();
      this.closers.delete(onClose);
    });
    return stream;
  }

  // What the transport reports

  private onStatus(status: QueueStatus): void {
    if (this.closed) return;
    this.lastStatus = status;
    this.emit('status', status);
    if (status.status === 'active' && status.activeUntil !== null) {
      this.onAdmitted({ concertId: status.concertId, activeUntil: status.activeUntil });
    }
  }

  private onAdmitted(admission: QueueAdmitted): void {
    if (this.closed || this.admission) return;
    this.admission = admission;
    this.lastStatus = {
      concertId: admission.concertId,
      status: 'active',
      position: null,
      estimatedWaitSeconds: null,
      activeUntil: admission.activeUntil,
      soldOut: this.lastStatus?.soldOut ?? false,
      heldSeats: this.lastStatus?.heldSeats ?? 0,
    };
    this.emit('admitted', admission);
  }

  private onEnded(ending: QueueEnded): void {
    if (this.closed || this.ending) return;
    this.ending = ending;
    this.close();
    this.emit('ended', ending);
  }

  private fail(error: LineupError): void {
    if (this.closed) return;
    this.failure = error;
    this.close();
    this.emit('error', error);
  }

  /** Why nothing more will happen, once closed. */
  private closedError(): LineupError | undefined {
    if (this.failure) return this.failure;
    if (this.ending) {
      return new LineupError({
        code: QUEUE_ENDED,
        message: `the queue entry has ended (${this.ending.reason})`,
        details: { ...this.ending },
      });
    }
    if (this.closed)
      return new LineupError({ code: CONNECTION_CLOSED, message: 'connection closed' });
    if (!this.started)
      return new LineupError({ code: NOT_CONNECTED, message: 'call connect() first' });
    return undefined;
  }

  /** The concert of this entry: from the last status, else from the queue token's claims. */
  private concertId(): number {
    return this.lastStatus?.concertId ?? concertIdOfToken(this.options.queueToken) ?? 0;
  }
}
