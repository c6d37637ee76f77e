import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type {
  HandshakeErrorCode,
  QueueAdmitted,
  QueueEnded,
  QueueEndReason,
  SeatsChanged,
  SeatsSubscription,
} from './contract/events.js';
import { QUEUE_NAMESPACE } from './contract/names.js';
import type { Deadline } from './cancel.js';
import type { QueueProgress, QueueSocketStatus, QueueStatus } from './contract/queue.js';
import { LineupError, NOT_CONNECTED } from './errors.js';
import { joinUrl, type FetchLike } from './http.js';
import { backoffDelay } from './queue-helpers.js';
import type { QueueConnectionOptions, QueueMode, QueueSocket } from './queue-types.js';
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

/** What the transport reports to the `QueueConnection` that owns it (which holds the state). */
export interface QueueTransportHandlers {
  isClosed(): boolean;
  /** Why socket calls cannot be made now (closed, not started), if so. */
  unavailable(): LineupError | undefined;
  onStatus(status: QueueStatus): void;
  onAdmitted(admission: QueueAdmitted): void;
  onEnded(ending: QueueEnded): void;
  /** A poll found the entry over (the poller knows the reason, not the concert). */
  onPollEnded(reason: QueueEndReason): void;
  onSeats(change: SeatsChanged): void;
  onMode(mode: QueueMode): void;
  onFail(error: LineupError): void;
}

export type QueueTransportOptions = Required<
  Pick<QueueConnectionOptions, 'pollIntervalMs' | 'fallbackAfterMs' | 'ackTimeoutMs'>
> &
  QueueConnectionOptions & { fetch: FetchLike };

/**
 * How a `QueueConnection` hears from the server (SPEC §5), internal to the SDK: the socket.io
 * socket on `/queue` with its reconnection (exponential backoff and jitter), the fallback to
 * polling `GET /queue/status` when the socket cannot connect and the return to the socket, the
 * per-tick progress frames, and the seat subscriptions restored on every connect.
 */
export class QueueTransport {
  private readonly socketOptions: Partial<ManagerOptions & SocketOptions>;
  private sock: QueueSocket | undefined;
  private currentMode: QueueMode = 'socket';
  private readonly poller: StatusPoller;
  private fallbackTimer: Timer | undefined;
  private reconnectTimer: Timer | undefined;
  private manualAttempts = 0;
  private readonly subscriptions = new Set<number>();
  readonly calls: SocketCalls;
  /** The fan's place from exact statuses and the line's per-tick frames (SPEC §5). */
  private readonly progress = new ProgressTracker();
  private syncing = false;

  constructor(
    private readonly options: QueueTransportOptions,
    private readonly handlers: QueueTransportHandlers,
  ) {
    this.socketOptions = { ...DEFAULT_SOCKET_OPTIONS, ...options.socket };
    this.poller = new StatusPoller({
      fetch: options.fetch,
      baseUrl: options.baseUrl,
      queueToken: options.queueToken,
      intervalMs: options.pollIntervalMs,
      onStatus: (status) => {
        this.progress.reset(); // frames resume from the next socket status
        handlers.onStatus(status);
      },
      onEnded: (reason) => handlers.onPollEnded(reason),
      onFatal: (error) => handlers.onFail(error),
    });
    this.calls = new SocketCalls({
      socket: () => this.sock,
      unavailable: () =>
        handlers.unavailable() ??
        (options.forcePolling
          ? new LineupError({ code: NOT_CONNECTED, message: 'forcePolling: there is no socket' })
          : undefined),
      timeoutMs: options.ackTimeoutMs,
    });
  }

  get mode(): QueueMode {
    return this.currentMode;
  }

  /** True while the socket is connected. */
  get connected(): boolean {
    return this.sock?.connected ?? false;
  }

  private get closed(): boolean {
    return this.handlers.isClosed();
  }

  /** Starts the socket and the fallback clock (or polling alone with `forcePolling`). */
  start(): void {
    if (this.options.forcePolling) {
      this.startPolling();
      return;
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
    socket.on('queue:admitted', (admission) => this.handlers.onAdmitted(admission));
    socket.on('queue:ended', (ending) => this.handlers.onEnded(ending));
    socket.on('seats:changed', (change) => {
      if (!this.closed) this.handlers.onSeats(change);
    });
    socket.connect();
    this.armFallback();
  }

  /** Stops the socket, reconnection and polling (the owner has marked itself closed). */
  stop(): void {
    this.poller.stop();
    for (const timer of [this.fallbackTimer, this.reconnectTimer]) {
      if (timer !== undefined) clearTimeout(timer);
    }
    this.fallbackTimer = this.reconnectTimer = undefined;
    if (this.sock) {
      this.sock.disconnect();
      this.sock.removeAllListeners();
    }
  }

  async subscribeSeats(scheduleId: number, deadline: Deadline): Promise<SeatsSubscription> {
    const data = await this.calls.call('seats:subscribe', { scheduleId }, deadline);
    if (!this.closed) this.subscriptions.add(scheduleId);
    return data;
  }

  /** Not restored on later connects any more. */
  forgetSeats(scheduleId: number): void {
    this.subscriptions.delete(scheduleId);
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
    if (FINAL_CODES.has(error.code)) return this.handlers.onFail(error);
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
    for (const status of outcome.statuses) this.handlers.onStatus(status);
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
    this.handlers.onMode(mode);
  }
}
