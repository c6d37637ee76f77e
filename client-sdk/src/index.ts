// @lineup/client-sdk: the Lineup contract (zod schemas and types), a typed HTTP client, the
// operators' client and the real-time waiting-room connection. Runs in browsers and Node >= 20.
// Every export is listed in README.md ("Exports"); anything not exported here is internal.
export * from './contract/index.js';
export { LineupClient } from './client.js';
export type {
  HistoryOptions,
  IdempotencyOptions,
  JoinOptions,
  JoinResult,
  LineupClientOptions,
  SeatsOptions,
} from './client-options.js';
export { LineupAdmin } from './admin.js';
export type {
  ConcertCreatedResponse,
  LineupAdminOptions,
  ScheduleCreatedResponse,
  VenueCreatedResponse,
} from './admin.js';
export type { CallOptions } from './cancel.js';
export { newIdempotencyKey } from './retry.js';
export type { RetryOptions, RetrySetting } from './retry.js';
export type { FetchLike } from './http.js';
export {
  ABORTED,
  ACK_TIMEOUT,
  CLIENT_ERROR_CODES,
  CONNECTION_CLOSED,
  isClientErrorCode,
  isLineupError,
  LineupError,
  NETWORK_ERROR,
  NOT_CONNECTED,
  QUEUE_ENDED,
  TIMEOUT,
  UNEXPECTED_RESPONSE,
} from './errors.js';
export type { ClientErrorCode, LineupErrorCode, LineupErrorInit } from './errors.js';
export type { ErrorDetails, ErrorDetailsMap } from './error-details.js';
export { TypedEmitter } from './emitter.js';
export type { EventMap } from './emitter.js';
export { QueueConnection } from './queue-connection.js';
export { applyProgress, estimateWait, ProgressTracker } from './queue-progress.js';
export type { ProgressOutcome } from './queue-progress.js';
export type {
  LeaveResult,
  QueueConnectionEvents,
  QueueConnectionOptions,
  QueueMode,
  QueueSocket,
} from './queue-types.js';
export { solveChallenge, solveRange, zeroBits } from './challenge.js';
export type { SolveOptions } from './challenge.js';
