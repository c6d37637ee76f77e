import express from 'express';
import { Redis } from 'ioredis';

// The join baseline: a bare express endpoint doing one Redis round trip and nothing else (no
// auth, no validation, no logging, no rate limit). `npm run bench` starts two of these, like the
// two app instances, and sends them the same join storm with the same client; Lineup's join
// throughput is reported as a ratio to this.
//   PORT, REDIS_URL, REDIS_KEY_PREFIX from the environment.

const port = Number(process.env.PORT ?? 3100);
const prefix = process.env.REDIS_KEY_PREFIX ?? 'lineup-baseline:';
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const app = express();
app.disable('x-powered-by');
app.use(express.json());

app.get('/readyz', (_req, res) => {
  res.json({ status: 'ready' });
});

// Same path and method as the real join; one INCR stands in for the join script.
app.post('/concerts/:concertId/queue', async (req, res) => {
  const position = await redis.incr(`${prefix}{c:${req.params.concertId}}:seq`);
  res.status(201).json({ concertId: Number(req.params.concertId), status: 'waiting', position });
});

// The status poll's baseline: same path, one Redis round trip, a body of the same shape.
app.get('/queue/status', async (req, res) => {
  const position = await redis.incr(`${prefix}{c:1}:polls`);
  res.json({
    concertId: 1,
    status: 'waiting',
    position,
    estimatedWaitSeconds: null,
    activeUntil: null,
    token: req.header('x-queue-token')?.length ?? 0,
  });
});

const server = app.listen(port, '127.0.0.1');
const stop = () => {
  server.close();
  server.closeAllConnections();
  redis.disconnect();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
