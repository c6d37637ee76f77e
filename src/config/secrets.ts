// What production refuses as a secret (SPEC §7). Outside production the development defaults
// below stand in for unset secrets, so `npm start` and the tests need no setup.

export const DEV_AUTH_JWT_SECRET = 'lineup-dev-secret-change-me-0123456789';
export const DEV_QUEUE_TOKEN_SECRET = `${DEV_AUTH_JWT_SECRET}-queue`;
export const DEV_ADMIN_TOKEN = 'lineup-dev-admin-token';

export const SECRET_NAMES = ['AUTH_JWT_SECRET', 'QUEUE_TOKEN_SECRET', 'ADMIN_TOKEN'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/** Shortest secret production accepts: 32 characters (`openssl rand -hex 32` gives 64). */
export const PRODUCTION_SECRET_MIN_LENGTH = 32;

/**
 * Every value written as a secret in docker-compose.yml or the documentation, now or in an
 * earlier release (people copy them): production refuses each of them. A test scans the compose
 * file and the docs for secret-looking assignments and fails on any value missing here.
 */
export const PUBLISHED_SECRET_VALUES: readonly string[] = [
  DEV_AUTH_JWT_SECRET,
  DEV_QUEUE_TOKEN_SECRET,
  DEV_ADMIN_TOKEN,
  // docker-compose.yml before the operator had to supply the secrets
  'change-me-auth-secret-0123456789',
  'change-me-queue-secret-0123456789',
  'change-me-admin-token',
  // docker-compose.yml: the PostgreSQL password of the bundled database
  'lineup',
];

/**
 * Why production must refuse these secrets, one message per variable. The messages name the
 * variable and never contain its value (they end up in logs).
 */
export function productionSecretProblems(
  secrets: Partial<Record<SecretName, string>>,
): { name: SecretName; message: string }[] {
  const problems: { name: SecretName; message: string }[] = [];
  for (const name of SECRET_NAMES) {
    const value = secrets[name];
    if (!value) {
      problems.push({ name, message: 'is required when NODE_ENV=production' });
    } else if (PUBLISHED_SECRET_VALUES.includes(value) || /change-?me/i.test(value)) {
      problems.push({
        name,
        message:
          'is an example value published with Lineup; set a secret of your own (e.g. openssl rand -hex 32)',
      });
    } else if (value.length < PRODUCTION_SECRET_MIN_LENGTH) {
      problems.push({
        name,
        message: `must be at least ${PRODUCTION_SECRET_MIN_LENGTH} characters when NODE_ENV=production (e.g. openssl rand -hex 32)`,
      });
    }
  }
  // One secret for two purposes: whoever learns one can forge the other kind of token.
  for (const [i, a] of SECRET_NAMES.entries()) {
    for (const b of SECRET_NAMES.slice(i + 1)) {
      if (secrets[a] && secrets[a] === secrets[b])
        problems.push({ name: b, message: `must differ from ${a}` });
    }
  }
  return problems;
}
