import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Config } from '../../config/index.js';
import type { RedisClient } from '../../infra/redis/scripts.js';
import { originAllowed } from '../../infra/http/security.js';
import type { ConnectionsPerAddress } from './connections-per-address.middleware.js';
import type { FanServer } from './fan-sockets.gateway.js';

/**
 * socket.io on the app's HTTP server, set up for many idle sockets that all receive the same
 * small frames (the options that cost memory or CPU per socket are chosen here, each with why).
 */
export function createSocketServer(
  httpServer: HttpServer,
  config: Config,
  connections: ConnectionsPerAddress,
  adapterClients: { pub: RedisClient; sub: RedisClient },
): FanServer {
  const { pub, sub } = adapterClients;
  const io: FanServer = new Server(httpServer, {
    // WebSocket only: HTTP long-polling would need sticky sessions across instances (and
    // httpCompression, which applies to polling only, is therefore moot).
    transports: ['websocket'],
    allowRequest: (req, callback) => {
      if (!originAllowed(req.headers.origin, req.headers.host, config.corsOrigins))
        return callback(null, false);
      // Refused before any namespace: the client sees a failed upgrade (400, body RATE_LIMITED).
      if (!connections.take(req)) return callback('RATE_LIMITED', false);
      callback(null, true);
    },
    serveClient: false,
    // Every frame is small and identical for thousands of sockets: compressing it per socket
    // would cost CPU and a zlib context per socket, and a compressed transport cannot take the
    // pre-encoded broadcast frame (the default is already off; kept explicit).
    perMessageDeflate: false,
    adapter:
      // Redis Cluster needs the sharded adapter (SPUBLISH); it is optional on a single Redis 7.
      config.socketAdapter === 'sharded' || config.redisClusterNodes
        ? createShardedAdapter(pub, sub, { channelPrefix: `${config.redisKeyPrefix}socket.io` })
        : createAdapter(pub, sub, { key: `${config.redisKeyPrefix}socket.io` }),
  });
  return io;
}
