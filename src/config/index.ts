import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { DEFAULT_MAX_SEATS_PER_USER, POINTS } from '@lineup/client-sdk/contract';
import {
  DEV_ADMIN_TOKEN,
  DEV_AUTH_JWT_SECRET,
  DEV_QUEUE_TOKEN_SECRET,
  productionSecretProblems,
} from './secrets.js';

// The only module that reads process.env (SPEC §7). Everything else receives a Config.

const DEV_SECRET_MIN_LENGTHS = [
  ['AUTH_JWT_SECRET', 16],
  ['QUEUE_TOKEN_SECRET', 16],
  ['ADMIN_TOKEN', 8],
] as const;

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);

const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .default('postgres://postgres@127.0.0.1:5432/lineup'),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// URL')
      .default('redis://127.0.0.1:6379'),
    REDIS_KEY_PREFIX: z.string().min(1).max(64).default('lineup:'),
    // Lengths are checked below: production has its own, stricter rules.
    AUTH_JWT_SECRET: z.string().optional(),
    QUEUE_TOKEN_SECRET: z.string().optional(),
    ADMIN_TOKEN: z.string().optional(),
    INSTANCE_ID: z.string().min(1).max(128).optional(),
    QUEUE_TICK_MS: int(1000, 10),
    QUEUE_PUSH_INTERVAL_MS: int(1000, 10),
    QUEUE_MAX_ACTIVE: int(20, 1),
    QUEUE_ADMIT_PER_MINUTE: int(600, 1),
    QUEUE_MAX_WAITING: int(10_000, 1),
    ACTIVE_IDLE_SECONDS: int(300, 1),
    ACTIVE_MAX_SECONDS: int(1200, 1),
    ABANDON_SECONDS: int(60, 1),
    // How long a join challenge's nonce may be used (SPEC §2: 5 minutes); tests shorten it.
    QUEUE_CHALLENGE_SECONDS: int(300, 1),
    HOLD_SECONDS: int(300, 1),
    MAX_SEATS_PER_USER: int(DEFAULT_MAX_SEATS_PER_USER, 1),
    // How often the leader compares Redis' seat filter with PostgreSQL (SPEC §3.6: a seat
    // PostgreSQL says is available is refused by Redis for a few seconds at most).
    SEAT_RECONCILE_MS: int(2000, 10),
    // A schedule's seat changes within this window go out as one seats:changed frame.
    SEAT_CHANGES_WINDOW_MS: int(50, 0),
    // How long an Idempotency-Key and its answer are kept (SPEC §3.3: at least 24 h).
    IDEMPOTENCY_RETENTION_SECONDS: int(86_400, 1),
    LEADER_LEASE_MS: int(3000, 100),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    // Default: true outside production (the quick start shows demo data), false in production.
    SEED_ON_EMPTY: z.enum(['true', 'false']).optional(),
    SOCKETIO_ADAPTER: z.enum(['classic', 'sharded']).default('classic'),
    REDIS_CLUSTER_NODES: z
      .string()
      .regex(/^[\w.-]+:\d+(,[\w.-]+:\d+)*$/, 'must be host:port[,host:port...]')
      .optional(),
    RATE_LIMIT_ENABLED: z.enum(['true', 'false']).default('true'),
    CORS_ORIGINS: z
      .string()
      .default('')
      .transform((s) =>
        s
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.url('each origin must be a URL like https://tickets.example.com'))),
    SOCKETS_PER_IP: int(500, 1),
    TRUST_PROXY: z.string().min(1).default('loopback'),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') {
      for (const [name, min] of DEV_SECRET_MIN_LENGTHS)
        if ((env[name]?.length ?? min) < min)
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `must be at least ${min} characters`,
          });
      return;
    }
    if (env.IDEMPOTENCY_RETENTION_SECONDS < 86_400) {
      ctx.addIssue({
        code: 'custom',
        path: ['IDEMPOTENCY_RETENTION_SECONDS'],
        message: 'must be at least 86400 (24 h) when NODE_ENV=production',
      });
    }
    for (const { name, message } of productionSecretProblems(env))
      ctx.addIssue({ code: 'custom', path: [name], message });
    // The demo fans have a published password and 500,000 points each.
    if (env.SEED_ON_EMPTY === 'true')
      ctx.addIssue({
        code: 'custom',
        path: ['SEED_ON_EMPTY'],
        message: 'demo data is never seeded when NODE_ENV=production: unset it or set false',
      });
  });

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  databaseUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  authJwtSecret: string;
  queueTokenSecret: string;
  adminToken: string;
  instanceId: string;
  logLevel: string;
  seedOnEmpty: boolean;
  /** socket.io Redis adapter: classic pub/sub, or sharded pub/sub (Redis 7 SPUBLISH, for Cluster). */
  socketAdapter: 'classic' | 'sharded';
  /** Redis Cluster seed nodes; when set, every Redis use goes through the cluster client. */
  redisClusterNodes: { host: string; port: number }[] | null;
  rateLimitEnabled: boolean;
  /** Origins allowed to call the API and open sockets from a browser (empty: same origin only). */
  corsOrigins: string[];
  /** Concurrent sockets one client address may hold on one instance. */
  socketsPerIp: number;
  /** Express "trust proxy" setting: which hops' X-Forwarded-For to believe. */
  trustProxy: string;
  queue: {
    tickMs: number;
    pushIntervalMs: number;
    maxActive: number;
    admitPerMinute: number;
    maxWaiting: number;
    activeIdleSeconds: number;
    activeMaxSeconds: number;
    abandonSeconds: number;
    leaderLeaseMs: number;
    /** Lifetime of a join challenge's nonce. */
    challengeSeconds: number;
  };
  booking: {
    holdSeconds: number;
    maxSeatsPerUser: number;
    /** Leader: how often Redis' seat filter is checked against PostgreSQL. */
    reconcileMs: number;
    /** A schedule's seat changes within this window go out as one seats:changed frame (0: each). */
    seatChangesWindowMs: number;
  };
  idempotency: {
    /** Keys older than this are purged by the leader. */
    retentionSeconds: number;
  };
  points: {
    chargeMin: number;
    chargeMax: number;
    balanceCap: number;
    /** The smallest withdrawal; the largest is the balance (SPEC §2). */
    withdrawMin: number;
  };
}

export class ConfigError extends Error {
  constructor(public readonly issues: string[]) {
    super(`Invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment (process.env by default) into a Config, or throws a ConfigError naming each bad variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  // An empty variable (`PORT=` in a compose file) means "not set": take the default.
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`),
    );
  }
  const env = parsed.data;
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    authJwtSecret: env.AUTH_JWT_SECRET ?? DEV_AUTH_JWT_SECRET,
    queueTokenSecret: env.QUEUE_TOKEN_SECRET ?? DEV_QUEUE_TOKEN_SECRET,
    adminToken: env.ADMIN_TOKEN ?? DEV_ADMIN_TOKEN,
    instanceId: env.INSTANCE_ID ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    logLevel: env.LOG_LEVEL,
    seedOnEmpty: (env.SEED_ON_EMPTY ?? String(env.NODE_ENV !== 'production')) === 'true',
    socketAdapter: env.SOCKETIO_ADAPTER,
    redisClusterNodes: env.REDIS_CLUSTER_NODES
      ? env.REDIS_CLUSTER_NODES.split(',').map((hp) => {
          const [host, port] = hp.split(':');
          return { host: host!, port: Number(port) };
        })
      : null,
    rateLimitEnabled: env.RATE_LIMIT_ENABLED === 'true',
    corsOrigins: env.CORS_ORIGINS,
    socketsPerIp: env.SOCKETS_PER_IP,
    trustProxy: env.TRUST_PROXY,
    queue: {
      tickMs: env.QUEUE_TICK_MS,
      pushIntervalMs: env.QUEUE_PUSH_INTERVAL_MS,
      maxActive: env.QUEUE_MAX_ACTIVE,
      admitPerMinute: env.QUEUE_ADMIT_PER_MINUTE,
      maxWaiting: env.QUEUE_MAX_WAITING,
      activeIdleSeconds: env.ACTIVE_IDLE_SECONDS,
      activeMaxSeconds: env.ACTIVE_MAX_SECONDS,
      abandonSeconds: env.ABANDON_SECONDS,
      leaderLeaseMs: env.LEADER_LEASE_MS,
      challengeSeconds: env.QUEUE_CHALLENGE_SECONDS,
    },
    booking: {
      holdSeconds: env.HOLD_SECONDS,
      maxSeatsPerUser: env.MAX_SEATS_PER_USER,
      reconcileMs: env.SEAT_RECONCILE_MS,
      seatChangesWindowMs: env.SEAT_CHANGES_WINDOW_MS,
    },
    idempotency: { retentionSeconds: env.IDEMPOTENCY_RETENTION_SECONDS },
    points: { ...POINTS },
  };
}
