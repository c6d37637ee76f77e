// @lineup/client-sdk: the Lineup contract (zod schemas and types), a typed HTTP client and the
// real-time waiting-room connection. Runs in browsers and Node >= 20.
export * from './contract/index.js';
export { LineupClient } from './client.js';
export type {
  HistoryOptions,
  IdempotencyOptions,
  JoinResult,
  LineupClientOptions,
  SeatsOptions,
} from './client.js';
export type { CallOptions } from './cancel.js';
export { newIdempotencyKey } from './retry.js';
export type { RetryOptions, RetrySetting } from './retry.js';
export type { FetchLike } from './http.js';
export {
  ABORTED,
  ACK_TIMEOUT,
  isLineupError,
  LineupError,
  NETWORK_ERROR,
  NOT_CONNECTED,
  parseRetryAfter,
  TIMEOUT,
  UNEXPECTED_RESPONSE,
} from './errors.js';
export type { LineupErrorInit } from './errors.js';
export { TypedEmitter } from './emitter.js';
export { QueueConnection } from './queue-connection.js';
export { CONNECTION_CLOSED, QUEUE_ENDED } from './queue-types.js';
export type {
  LeaveResult,
  QueueConnectionEvents,
  QueueConnectionOptions,
  QueueMode,
  QueueSocket,
} from './queue-types.js';
export { backoffDelay, concertIdOfToken } from './queue-helpers.js';
export { StatusPoller } from './status-poller.js';
export type { StatusPollerOptions } from './status-poller.js';
