import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import type {
  ClientToServerEvents,
  QueueAdmitted,
  QueueEnded,
  SeatsChanged,
  ServerToClientEvents,
} from './contract/events.js';
import type { QueueEndReason } from './contract/events.js';
import type { QueueStatus } from './contract/queue.js';
import type { LineupError } from './errors.js';
import type { FetchLike } from './http.js';

export type QueueMode = 'socket' | 'polling';
export type QueueSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface QueueConnectionEvents {
  /**
   * The fan's place, exact as of a tick of the line: on connect, at every tick (computed from the
   * line's `queue:progress` frame, or the server's own status when a frame cannot be applied),
   * on admission; in polling mode, each poll.
   */
  status: (status: QueueStatus) => void;
  /** Once per connection, whether the socket or a poll reported it first. */
  admitted: (admission: QueueAdmitted) => void;
  /** The entry is over (completed, expired, left, removed); the connection has closed itself. */
  ended: (ending: QueueEnded) => void;
  /** `seats:changed` of a schedule you subscribed to. */
  seats: (change: SeatsChanged) => void;
  /** Switched between the socket and polling `GET /queue/status`. */
  mode: (mode: QueueMode) => void;
  /** A final failure (bad token, no entry, admission over...); the connection has closed itself. */
  error: (error: LineupError) => void;
}

export interface QueueConnectionOptions {
  /** The API's base URL (HTTP polling and `DELETE /queue` go here). */
  baseUrl: string;
  /** `queueToken` from joining the line. */
  queueToken: string;
  /** Where socket.io connects, when not at `baseUrl` (the namespace `/queue` is appended). */
  socketUrl?: string;
  /** Polling interval once the socket has failed (default 2,000 ms). */
  pollIntervalMs?: number;
  /** Poll when the socket has not connected for this long (default 5,000 ms). */
  fallbackAfterMs?: number;
  /** How long socket calls (`queue:leave`, seat subscriptions) wait for a connection and an ack (default 10,000 ms). */
  ackTimeoutMs?: number;
  /**
   * Never open a socket: poll `GET /queue/status` every `pollIntervalMs` from `connect()` on (for
   * networks that break WebSockets in ways the automatic fallback cannot see). Socket-only calls
   * (`subscribeSeats`) then reject with `NOT_CONNECTED`; `leave()` uses `DELETE /queue`.
   */
  forcePolling?: boolean;
  /** socket.io-client options (reconnection delays, path...); transport and auth are set for you. */
  socket?: Partial<ManagerOptions & SocketOptions>;
  fetch?: FetchLike;
}

export { CONNECTION_CLOSED, QUEUE_ENDED } from './errors.js';

/** What `leave()` / `leaveQueue()` found: `left` false when the entry had already ended. */
export interface LeaveResult {
  /** True when this call ended the entry; false when it was over already (see `reason`). */
  left: boolean;
  /** How the entry ended: `left` by this call, else e.g. `completed` (paid), `expired`, `removed`. */
  reason: QueueEndReason;
}
