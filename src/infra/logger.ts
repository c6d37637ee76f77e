import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';
import { redactionOptions } from './log-redaction.js';

// Every log line written while serving a request (or a socket event) carries that request's id,
// wherever in the code it is logged from: the id travels in AsyncLocalStorage, pino's mixin reads it.
// `pgRoundTrips` counts the statements the request sent PostgreSQL (booking reports it per write).
export const requestContext = new AsyncLocalStorage<{ reqId: string; pgRoundTrips?: number }>();

/** Counts one PostgreSQL round trip against the request being served, if any. */
export function countPgRoundTrip(): void {
  const store = requestContext.getStore();
  if (store) store.pgRoundTrips = (store.pgRoundTrips ?? 0) + 1;
}

/**
 * The app's logger: credentials redacted in every line (log-redaction.ts). `destination`
 * defaults to stdout; tests capture what the server writes through it.
 */
export function createLogger(
  level: string,
  instanceId: string,
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level,
      base: { instance: instanceId },
      ...redactionOptions,
      mixin: () => {
        const store = requestContext.getStore();
        return store ? { reqId: store.reqId } : {};
      },
    },
    destination,
  );
}
