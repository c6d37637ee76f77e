import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.js';

const PRODUCTION_SECRETS = {
  NODE_ENV: 'production',
  AUTH_JWT_SECRET: 'a-production-jwt-secret-0123456789',
  QUEUE_TOKEN_SECRET: 'a-production-queue-secret-0123456789',
  ADMIN_TOKEN: 'a-production-admin-token',
};

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
      booking: { holdSeconds: 300, maxSeatsPerUser: 4 },
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
});
