import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger } from 'pino';

// Every log line written while serving a request (or a socket event) carries that request's id,
// wherever in the code it is logged from: the id travels in AsyncLocalStorage, pino's mixin reads it.
export const requestContext = new AsyncLocalStorage<{ reqId: string }>();

export function createLogger(level: string, instanceId: string): Logger {
  return pino({
    level,
    base: { instance: instanceId },
    mixin: () => {
      const store = requestContext.getStore();
      return store ? { reqId: store.reqId } : {};
    },
  });
}
