import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type {
  HandshakeErrorCode,
  QueueAdmitted,
  QueueEnded,
  SeatsSubscription,
} from './contract/events.js';
import { QUEUE_NAMESPACE, QUEUE_TOKEN_HEADER } from './contract/names.js';
import { Deadline, type CallOptions } from './cancel.js';
import type { QueueProgress, QueueSocketStatus, QueueStatus } from './contract/queue.js';
import { TypedEmitter } from './emitter.js';
import { ACK_TIMEOUT, isLineupError, LineupError, NOT_CONNECTED } from './errors.js';
import { globalFetch, joinUrl, request, type FetchLike } from './http.js';
import { backoffDelay, concertIdOfToken, withoutUndefined } from './queue-helpers.js';
import {
  CONNECTION_CLOSED,
  QUEUE_ENDED,
  type QueueConnectionEvents,
  type LeaveResult,
  type QueueConnectionOptions,
  type QueueMode,
  type QueueSocket,
} from './queue-types.js';
import { leftAlready } from './queue-helpers.js';
import { StatusStream } from './status-stream.js';
import { ProgressTracker, type ProgressOutcome } from './queue-progress.js';
import { SocketCalls } from './socket-calls.js';
import { StatusPoller } from './status-poller.js';

/** Handshake answers after which retrying cannot help. */
const FINAL_CODES: ReadonlySet<string> = new Set<HandshakeErrorCode>([
  'QUEUE_TOKEN_INVALID',
  'QUEUE_ENTRY_NOT_FOUND',
  'ADMISSION_EXPIRED',
]);

const DEFAULT_SOCKET_OPTIONS: Partial<ManagerOptions & SocketOptions> = {
  reconnectionDelay: 500,
  reconnectionDelayMax: 10_000,
  randomizationFactor: 0.5,
};

type Timer = ReturnType<typeof setTimeout>;

/**
 * The waiting-room connection of one queue entry (SPEC §5): a socket.io socket on `/queue` that
 * reconnects with exponential backoff and jitter, falls back to polling `GET /queue/status` when
 * the socket cannot connect (a proxy dropping WebSocket upgrades), and returns to the socket as
 * soon as it connects again. Listen with `on('status' | 'admitted' | 'ended' | 'seats' | 'mode' |
 * 'error', ...)`, then call `connect()`.
 */
export class QueueConnection extends TypedEmitter<QueueConnectionEvents> {
  private readonly options: Required<
    Pick<QueueConnectionOptions, 'pollIntervalMs' | 'fallbackAfterMs' | 'ackTimeoutMs'>
  > &
    QueueConnectionOptions;
  private readonly fetchImpl: FetchLike;
  private readonly socketOptions: Partial<ManagerOptions & SocketOptions>;
  private sock: QueueSocket | undefined;
  private currentMode: QueueMode = 'socket';
  private lastStatus: QueueStatus | undefined;
  private admission: QueueAdmitted | undefined;
  private ending: QueueEnded | undefined;
  private failure: LineupError | undefined;
  private closed = false;
  private started = false;
  /** Called once by close(): pending waits and status streams settle. */
  private readonly closers = new Set<() => void>();
  private readonly poller: StatusPoller;
  private fallbackTimer: Timer | undefined;
  private reconnectTimer: Timer | undefined;
  private manualAttempts = 0;
  private readonly subscriptions = new Set<number>();
  private readonly calls: SocketCalls;
  /** The fan's place from exact statuses and the line's per-tick frames (SPEC §5). */
  private readonly progress = new ProgressTracker();
  private syncing = false;

  constructor(options: QueueConnectionOptions) {
    super();
    this.options = {
      pollIntervalMs: 2_000,
      fallbackAfterMs: 5_000,
      ackTimeoutMs: 10_000,
      ...withoutUndefined(options),
    };
    this.fetchImpl = options.fetch ?? globalFetch;
    this.socketOptions = { ...DEFAULT_SOCKET_OPTIONS, ...options.socket };
    this.poller = new StatusPoller({
      fetch: this.fetchImpl,
      baseUrl: this.options.baseUrl,
      queueToken: this.options.queueToken,
      intervalMs: this.options.pollIntervalMs,
      onStatus: (status) => {
        this.progress.reset(); // frames resume from the next socket status
        this.onStatus(status);
      },
      onEnded: (reason) => this.onEnded({ concertId: this.concertId(), reason }),
      onFatal: (error) => this.fail(error),
    });
    this.calls = new SocketCalls({
      socket: () => this.sock,
      unavailable: () =>
        this.closedError() ??
        (this.options.forcePolling
          ? new LineupError({ code: NOT_CONNECTED, message: 'forcePolling: there is no socket' })
          : undefined),
      timeoutMs: this.options.ackTimeoutMs,
    });
  }

  /** The last status heard (from the socket or a poll); after admission, `status: 'active'`. */
  get status(): QueueStatus | undefined {
    return this.lastStatus;
  }

  get mode(): QueueMode {
    return this.currentMode;
  }

  /** True while the socket is connected. */
  get connected(): boolean {
    return this.sock?.connected ?? false;
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
    if (this.options.forcePolling) {
      this.startPolling();
      return this;
    }
    const socketUrl = joinUrl(this.options.socketUrl ?? this.options.baseUrl, QUEUE_NAMESPACE);
    const socket: QueueSocket = io(socketUrl, {
      forceNew: true,
      ...this.socketOptions,
      // The server speaks WebSocket only (no sticky sessions across instances).
      transports: ['websocket'],
      auth: { token: this.options.queueToken },
      autoConnect: false,
    });
    this.sock = socket;
    socket.on('connect', () => this.onConnect());
    socket.on('connect_error', (err) => this.onConnectError(err));
    socket.on('disconnect', (reason) => this.onDisconnect(reason));
    socket.on('queue:status', (status) => this.onProgress(this.progress.onStatus(status)));
    socket.on('queue:progress', (frame) => this.onFrame(frame));
    socket.on('queue:admitted', (admission) => this.onAdmitted(admission));
    socket.on('queue:ended', (ending) => this.onEnded(ending));
    socket.on('seats:changed', (change) => {
      if (!this.closed) this.emit('seats', change);
    });
    socket.connect();
    this.armFallback();
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
    this.poller.stop();
    for (const timer of [this.fallbackTimer, this.reconnectTimer]) {
      if (timer !== undefined) clearTimeout(timer);
    }
    this.fallbackTimer = this.reconnectTimer = undefined;
    if (this.sock) {
      this.sock.disconnect();
      this.sock.removeAllListeners();
    }
    const why = this.closedError()!;
    this.calls.abort(why);
    for (const closer of [...this.closers]) closer();
    this.closers.clear();
  }

  /**
   * Leaves the line or gives up the admission: over the socket when connected, else with
   * `DELETE /queue`. Emits `ended` and closes the connection. An entry that had already ended
   * (admission expired, paid, removed, left before) resolves too: `{left: false, reason}`.
   */
  async leave(options: CallOptions = {}): Promise<LeaveResult> {
    if (this.ending) return { left: false, reason: this.ending.reason };
    const deadline = new Deadline('leave', options);
    let sentOverSocket = false;
    try {
      if (this.sock?.connected) {
        sentOverSocket = true;
        try {
          await this.calls.call('queue:leave', undefined, deadline);
        } catch (err) {
          // The server's queue:ended (sent before the ack) closes the connection under us.
          if (this.ending) return this.leaveResult();
          // The ack was lost with the socket: the HTTP call tells whether the leave went through.
          if (!isLineupError(err, ACK_TIMEOUT) && !isLineupError(err, NOT_CONNECTED)) throw err;
          await this.leaveOverHttp(deadline);
        }
      } else {
        await this.leaveOverHttp(deadline);
      }
    } catch (err) {
      if (this.ending) return this.leaveResult();
      const before = leftAlready(err);
      if (!before) throw err;
      // Over already: 410 says how (`left` after a socket attempt whose ack was lost: that
      // attempt went through), 404 that the entry is gone.
      this.onEnded({ concertId: this.concertId(), reason: before });
      return { left: sentOverSocket && before === 'left', reason: before };
    } finally {
      deadline.dispose();
    }
    this.onEnded({ concertId: this.concertId(), reason: 'left' });
    return { left: true, reason: 'left' };
  }

  /** The server's queue:ended arrived while leaving: `left` when it is this leave's doing. */
  private leaveResult(): LeaveResult {
    const reason = this.ending?.reason ?? 'left';
    return { left: reason === 'left', reason };
  }

  private async leaveOverHttp(deadline: Deadline): Promise<void> {
    await request(
      this.fetchImpl,
      joinUrl(this.options.baseUrl, '/queue'),
      { method: 'DELETE', headers: { [QUEUE_TOKEN_HEADER]: this.options.queueToken } },
      deadline,
    );
  }

  /**
   * Subscribes to `seats:changed` of a schedule (active fans of this concert only). Waits up to
   * `ackTimeoutMs` for a connection. Kept across reconnects. Rejects with the server's code.
   */
  async subscribeSeats(scheduleId: number, options: CallOptions = {}): Promise<SeatsSubscription> {
    const deadline = new Deadline('subscribeSeats', options);
    try {
      const data = await this.calls.call('seats:subscribe', { scheduleId }, deadline);
      if (!this.closed) this.subscriptions.add(scheduleId);
      return data;
    } finally {
      deadline.dispose();
    }
  }

  async unsubscribeSeats(
    scheduleId: number,
    options: CallOptions = {},
  ): Promise<SeatsSubscription> {
    this.subscriptions.delete(scheduleId);
    // Not connected: the server has no subscription for this socket, and none is restored.
    if (!this.sock?.connected) return { scheduleId };
    const deadline = new Deadline('unsubscribeSeats', options);
    try {
      return await this.calls.call('seats:unsubscribe', { scheduleId }, deadline);
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

  // Socket events

  private onConnect(): void {
    if (this.closed) return;
    this.manualAttempts = 0;
    if (this.fallbackTimer !== undefined) clearTimeout(this.fallbackTimer);
    this.fallbackTimer = undefined;
    this.poller.stop();
    this.setMode('socket');
    this.calls.connected();
    for (const scheduleId of this.subscriptions) {
      this.calls.call('seats:subscribe', { scheduleId }).catch(() => {
        // No longer allowed (e.g. the admission ended; `ended` tells the rest).
        this.subscriptions.delete(scheduleId);
      });
    }
  }

  private onConnectError(err: Error): void {
    if (this.closed) return;
    const error = LineupError.fromConnectError(err);
    if (FINAL_CODES.has(error.code)) return this.fail(error);
    // socket.io-client retries transport failures itself, not a server middleware refusal
    // (e.g. SERVICE_UNAVAILABLE while Redis is down): those we retry here.
    if (!this.sock?.active) this.reconnectLater();
    this.armFallback();
  }

  private onDisconnect(reason: Socket.DisconnectReason): void {
    if (this.closed) return;
    // The server closed this socket (an instance shutting down): socket.io-client would stay
    // disconnected, so reconnect ourselves (to whichever instance the balancer picks).
    if (reason === 'io server disconnect' || !this.sock?.active) this.reconnectLater();
    this.armFallback();
  }

  private onFrame(frame: QueueProgress): void {
    if (!this.closed) this.onProgress(this.progress.onFrame(frame));
  }

  /** Reports what the tracker made of a status or a frame; asks the server when it is unsure. */
  private onProgress(outcome: ProgressOutcome): void {
    for (const status of outcome.statuses) this.onStatus(status);
    if (outcome.sync) this.sync();
  }

  /** `queue:sync`: the exact status now (one request at a time; an ending says the rest). */
  private sync(): void {
    if (this.closed || this.syncing) return;
    this.syncing = true;
    this.calls
      .call('queue:sync')
      .then((status: QueueSocketStatus) => {
        this.syncing = false;
        if (!this.closed) this.onProgress(this.progress.onStatus(status));
      })
      .catch(() => {
        // Ended or disconnected: `ended` follows, or the next connect brings a status.
        this.syncing = false;
      });
  }

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

  // Reconnection and fallback

  /** A manual reconnect with socket.io-client's own backoff settings (exponential, jittered). */
  private reconnectLater(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    const delay = backoffDelay(this.manualAttempts++, this.socketOptions);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed && this.sock && !this.sock.connected && !this.sock.active) {
        this.sock.connect();
      }
    }, delay);
  }

  private armFallback(): void {
    if (this.closed || this.poller.running || this.fallbackTimer !== undefined || this.connected)
      return;
    this.fallbackTimer = setTimeout(() => {
      this.fallbackTimer = undefined;
      if (!this.closed && !this.connected) this.startPolling();
    }, this.options.fallbackAfterMs);
  }

  private startPolling(): void {
    if (this.closed || this.poller.running) return;
    this.setMode('polling');
    this.poller.start();
  }

  private setMode(mode: QueueMode): void {
    if (this.currentMode === mode) return;
    this.currentMode = mode;
    this.emit('mode', mode);
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
