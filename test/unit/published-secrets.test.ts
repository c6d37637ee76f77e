import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isErrorCode } from '../../client-sdk/src/contract/errors.js';
import { PUBLISHED_SECRET_VALUES } from '../../src/config/secrets.js';

// Every secret value the project publishes (docker-compose.yml, README and other docs, deploy/,
// docs/) must be on the list production refuses: someone will copy it into a deployment.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'coverage', 'src', 'test', 'web']);
const BINARY = /\.(png|jpe?g|gif|webp|ico|woff2?)$/i;

/** The compose file, the Dockerfile, every Markdown file, and everything under deploy/ and docs/. */
function publishedFiles(dir = ROOT): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = relative(ROOT, path);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) files.push(...publishedFiles(path));
    } else if (
      /^docker-compose.*\.ya?ml$|^Dockerfile$|\.md$/.test(entry.name) ||
      (/^(deploy|docs)\//.test(rel) && !BINARY.test(entry.name))
    ) {
      files.push(rel);
    }
  }
  return files;
}

const SECRET_NAME = String.raw`\b[A-Z][A-Z0-9_]*(?:SECRET|TOKEN|PASSWORD)[A-Z0-9_]*\b`;
const VALUE = String.raw`("[^"]*"|'[^']*'|[^\s,}#]+)`;
const PATTERNS = [
  // NAME: value, NAME=value, "NAME": "value"
  new RegExp(`${SECRET_NAME}["'\`]?\\s*[:=]\\s*${VALUE}`, 'g'),
  // --jwt-secret value, --admin-token=value
  new RegExp(`--[a-z-]*(?:secret|token|password)[= ]+${VALUE}`, 'g'),
];

/**
 * Literal values written as secrets in a text: assignments to a variable named like a secret,
 * command-line flags named like one, and `quoted` words on a line naming a secret variable (the
 * README's "dev default `...`"). References (`$VAR`, `${VAR:?...}`, `<placeholder>`) are not values.
 */
function secretLiterals(text: string): string[] {
  const found: string[] = [];
  for (const line of text.split('\n')) {
    for (const pattern of PATTERNS)
      for (const match of line.matchAll(pattern)) found.push(match[1]!.replace(/^["']|["']$/g, ''));
    // Quoted words of 8+ characters: shorter ones are claim names like `sub`, not secrets.
    // Error codes (`QUEUE_TOKEN_INVALID`) name no secret: a line naming only them has no secret.
    const names = [...line.matchAll(new RegExp(SECRET_NAME, 'g'))].map((m) => m[0]);
    if (names.some((name) => !isErrorCode(name)))
      for (const match of line.matchAll(/`([^`\s]{8,})`/g)) found.push(match[1]!);
  }
  return found.filter(
    (value) => value.length > 0 && !/^[$<]/.test(value) && !/^[A-Z][A-Z0-9_]*$/.test(value),
  );
}

describe('published secret values', () => {
  it('finds assignments, flags and quoted defaults, not references', () => {
    const sample = [
      'AUTH_JWT_SECRET: change-me-auth # comment',
      "  QUEUE_TOKEN_SECRET: 'quoted-value'",
      'ADMIN_TOKEN=plain-value npm start',
      '"SOME_PASSWORD": "json-value",',
      'load --jwt-secret flag-value --admin-token "$ADMIN_TOKEN"',
      'Operators use `Authorization: Bearer <ADMIN_TOKEN>` (dev default `dev-default-value`).',
      'AUTH_JWT_SECRET: ${AUTH_JWT_SECRET:?set it}',
      'k6 run -e ADMIN_TOKEN=$ADMIN_TOKEN',
      '| `ADMIN_TOKEN` | dev default | bearer token |',
      'REDIS_KEY_PREFIX: lineup:',
      '| `error` | `LineupError` | a final failure (`QUEUE_TOKEN_INVALID`) |',
    ].join('\n');
    expect(secretLiterals(sample)).toEqual([
      'change-me-auth',
      'quoted-value',
      'plain-value',
      'json-value',
      'flag-value',
      'dev-default-value',
    ]);
  });

  it('are all refused by production (src/config/secrets.ts lists them)', () => {
    const files = publishedFiles();
    expect(files).toEqual(
      expect.arrayContaining(['README.md', 'docker-compose.yml', 'deploy/nginx.conf']),
    );
    const unlisted: string[] = [];
    let seen = 0;
    for (const file of files) {
      for (const value of secretLiterals(readFileSync(join(ROOT, file), 'utf8'))) {
        seen += 1;
        if (!PUBLISHED_SECRET_VALUES.includes(value)) unlisted.push(`${file}: ${value}`);
      }
    }
    expect(unlisted).toEqual([]);
    // The scan does see the docs' values (the README's dev admin token, compose's database password).
    expect(seen).toBeGreaterThan(0);
  });
});
