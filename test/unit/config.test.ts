import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { PUBLISHED_SECRET_VALUES } from '../../src/config/secrets.js';

const PRODUCTION_SECRETS = {
  NODE_ENV: 'production',
  AUTH_JWT_SECRET: 'a-production-jwt-secret-0123456789',
  QUEUE_TOKEN_SECRET: 'a-production-queue-secret-0123456789',
  ADMIN_TOKEN: 'a-production-admin-token-0123456789',
};
const SECRET_NAMES = ['AUTH_JWT_SECRET', 'QUEUE_TOKEN_SECRET', 'ADMIN_TOKEN'] as const;

/** The ConfigError thrown for an environment (fails the test if none is thrown). */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('uses the defaults of SPEC §7 for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/lineup',
      redisUrl: 'redis://127.0.0.1:6379',
      redisKeyPrefix: 'lineup:',
      logLevel: 'info',
      queue: {
        tickMs: 1000,
        pushIntervalMs: 1000,
        maxActive: 20,
        admitPerMinute: 600,
        maxWaiting: 10_000,
        activeIdleSeconds: 300,
        activeMaxSeconds: 1200,
        abandonSeconds: 60,
        leaderLeaseMs: 3000,
      },
      booking: { holdSeconds: 300, maxSeatsPerUser: 4, reconcileMs: 2000 },
      idempotency: { retentionSeconds: 86_400 },
      points: {
        chargeMin: 1_000,
        chargeMax: 1_000_000,
        balanceCap: 10_000_000,
        withdrawMin: 1_000,
      },
    });
    // Outside production, development secrets stand in for the missing ones.
    expect(config.authJwtSecret.length).toBeGreaterThanOrEqual(16);
    expect(config.queueTokenSecret.length).toBeGreaterThanOrEqual(16);
    expect(config.queueTokenSecret).not.toBe(config.authJwtSecret);
    expect(config.adminToken.length).toBeGreaterThanOrEqual(8);
    expect(config.instanceId).not.toBe('');
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      PORT: '8080',
      REDIS_KEY_PREFIX: 'other:',
      INSTANCE_ID: 'node-a',
      QUEUE_TICK_MS: '250',
      QUEUE_MAX_ACTIVE: '50',
      HOLD_SECONDS: '120',
      MAX_SEATS_PER_USER: '2',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 8080,
      redisKeyPrefix: 'other:',
      instanceId: 'node-a',
      logLevel: 'debug',
      queue: { tickMs: 250, maxActive: 50 },
      booking: { holdSeconds: 120, maxSeatsPerUser: 2 },
    });
  });

  it.each([
    ['QUEUE_TICK_MS', 'abc'],
    ['QUEUE_TICK_MS', '1.5'],
    ['PORT', '70000'],
    ['QUEUE_MAX_ACTIVE', '0'],
    ['DATABASE_URL', 'mysql://localhost/lineup'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['LOG_LEVEL', 'loud'],
    ['NODE_ENV', 'staging'],
    ['AUTH_JWT_SECRET', 'short'],
  ])('refuses %s=%s with a ConfigError naming the variable', (name, value) => {
    const err = configError({ [name]: value });
    expect(err.message).toContain(name);
    expect(err.issues.some((issue) => issue.startsWith(`${name}:`))).toBe(true);
  });

  it('names every bad variable at once', () => {
    const err = configError({ QUEUE_TICK_MS: 'abc', HOLD_SECONDS: '-5' });
    expect(err.message).toContain('QUEUE_TICK_MS');
    expect(err.message).toContain('HOLD_SECONDS');
  });

  it('refuses production without its secrets, naming each missing one', () => {
    const err = configError({ NODE_ENV: 'production' });
    for (const name of ['AUTH_JWT_SECRET', 'QUEUE_TOKEN_SECRET', 'ADMIN_TOKEN']) {
      expect(err.message).toContain(name);
    }
    const { ADMIN_TOKEN: _omitted, ...withoutAdmin } = PRODUCTION_SECRETS;
    const one = configError(withoutAdmin);
    expect(one.issues).toEqual([expect.stringMatching(/^ADMIN_TOKEN: /)]);
  });

  it('accepts production with its secrets and uses them', () => {
    const config = loadConfig(PRODUCTION_SECRETS);
    expect(config).toMatchObject({
      env: 'production',
      authJwtSecret: PRODUCTION_SECRETS.AUTH_JWT_SECRET,
      queueTokenSecret: PRODUCTION_SECRETS.QUEUE_TOKEN_SECRET,
      adminToken: PRODUCTION_SECRETS.ADMIN_TOKEN,
    });
  });

  it('defaults SEED_ON_EMPTY to true outside production and to false in production', () => {
    expect(loadConfig({}).seedOnEmpty).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).seedOnEmpty).toBe(true);
    expect(loadConfig({ SEED_ON_EMPTY: 'false' }).seedOnEmpty).toBe(false);
    expect(loadConfig(PRODUCTION_SECRETS).seedOnEmpty).toBe(false);
    expect(loadConfig({ ...PRODUCTION_SECRETS, SEED_ON_EMPTY: 'false' }).seedOnEmpty).toBe(false);
  });

  it('refuses SEED_ON_EMPTY=true in production: demo fans have a published password', () => {
    const err = configError({ ...PRODUCTION_SECRETS, SEED_ON_EMPTY: 'true' });
    expect(err.issues).toEqual([expect.stringMatching(/^SEED_ON_EMPTY: .*never seeded/)]);
  });
});

describe('loadConfig in production refuses weak secrets (SPEC §7)', () => {
  it.each(SECRET_NAMES)('refuses %s shorter than 32 characters, without echoing it', (name) => {
    const weak = 'Weak-But-31-Characters-Long-xyz';
    expect(weak).toHaveLength(31);
    const err = configError({ ...PRODUCTION_SECRETS, [name]: weak });
    expect(err.issues).toEqual([
      `${name}: must be at least 32 characters when NODE_ENV=production (e.g. openssl rand -hex 32)`,
    ]);
    expect(err.message).not.toContain(weak);
    // 32 characters are enough.
    expect(() => loadConfig({ ...PRODUCTION_SECRETS, [name]: `${weak}z` })).not.toThrow();
  });

  it.each(SECRET_NAMES)('refuses every published example value as %s', (name) => {
    expect(PUBLISHED_SECRET_VALUES.length).toBeGreaterThan(0);
    for (const example of PUBLISHED_SECRET_VALUES) {
      const err = configError({ ...PRODUCTION_SECRETS, [name]: example });
      expect(err.issues).toEqual([
        expect.stringMatching(new RegExp(`^${name}: is an example value`)),
      ]);
      expect(err.message).not.toContain(example);
    }
    // Also an edited placeholder, long enough to pass the length rule.
    const edited = configError({
      ...PRODUCTION_SECRETS,
      [name]: 'change-me-to-something-long-0123456789',
    });
    expect(edited.issues).toEqual([
      expect.stringMatching(new RegExp(`^${name}: is an example value`)),
    ]);
  });

  it('refuses AUTH_JWT_SECRET equal to QUEUE_TOKEN_SECRET (and any two secrets alike)', () => {
    const shared = 'one-secret-for-two-token-kinds-0123456789';
    const err = configError({
      ...PRODUCTION_SECRETS,
      AUTH_JWT_SECRET: shared,
      QUEUE_TOKEN_SECRET: shared,
    });
    expect(err.issues).toEqual(['QUEUE_TOKEN_SECRET: must differ from AUTH_JWT_SECRET']);
    expect(err.message).not.toContain(shared);
    const admin = configError({
      ...PRODUCTION_SECRETS,
      ADMIN_TOKEN: PRODUCTION_SECRETS.QUEUE_TOKEN_SECRET,
    });
    expect(admin.issues).toEqual(['ADMIN_TOKEN: must differ from QUEUE_TOKEN_SECRET']);
    // Outside production equal secrets still boot (the token audiences keep the kinds apart).
    const dev = loadConfig({ AUTH_JWT_SECRET: shared, QUEUE_TOKEN_SECRET: shared });
    expect(dev.queueTokenSecret).toBe(dev.authJwtSecret);
  });

  it('names every refused secret at once, and their values nowhere', () => {
    const env = {
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: 'change-me-auth-secret-0123456789',
      QUEUE_TOKEN_SECRET: 'short-queue-secret-16',
      ADMIN_TOKEN: 'lineup-dev-admin-token',
    };
    const err = configError(env);
    expect(err.issues.map((issue) => issue.split(':')[0])).toEqual(SECRET_NAMES);
    for (const value of Object.values(env).slice(1)) expect(err.message).not.toContain(value);
  });

  it('keeps idempotency keys at least 24 h in production (SPEC §3.3); shorter only outside it', () => {
    const err = configError({ ...PRODUCTION_SECRETS, IDEMPOTENCY_RETENTION_SECONDS: '3600' });
    expect(err.issues).toEqual([expect.stringMatching(/^IDEMPOTENCY_RETENTION_SECONDS: /)]);
    expect(loadConfig({ IDEMPOTENCY_RETENTION_SECONDS: '10' }).idempotency.retentionSeconds).toBe(
      10,
    );
  });
});
