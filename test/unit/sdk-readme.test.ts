// The SDK's README is its whole documentation (issue 18): it names every export, every public
// method, every error code (server and SDK) with its status. A new export or code fails here until
// the README says what it is.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as sdk from '@lineup/client-sdk';
import * as contract from '@lineup/client-sdk/contract';

const root = new URL('../../client-sdk/', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const index = readFileSync(new URL('src/index.ts', root), 'utf8');

const mentioned = (name: string) => readme.includes(`\`${name}`) || readme.includes(` ${name}(`);

describe('client-sdk/README.md', () => {
  it('names every value the package exports beyond the contract', () => {
    const own = Object.keys(sdk).filter((name) => !(name in contract));
    expect(own.length).toBeGreaterThan(10);
    expect(own.filter((name) => !mentioned(name))).toEqual([]);
  });

  it('names every type the package exports', () => {
    const types = [...index.matchAll(/export type \{([^}]*)\}/g)].flatMap((m) =>
      m[1]!
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
    expect(types.length).toBeGreaterThan(10);
    expect(types.filter((name) => !mentioned(name))).toEqual([]);
  });

  it('lists every public method of LineupClient, LineupAdmin and QueueConnection', () => {
    const methods = (proto: object) =>
      Object.getOwnPropertyNames(proto).filter(
        (name) => name !== 'constructor' && !name.startsWith('_'),
      );
    const missing = [
      sdk.LineupClient.prototype,
      sdk.LineupAdmin.prototype,
      sdk.QueueConnection.prototype,
      sdk.TypedEmitter.prototype,
    ]
      .flatMap(methods)
      // private members are on the prototype too at runtime: the README lists the public ones
      .filter((name) => !PRIVATE.has(name))
      .filter((name) => !mentioned(name));
    expect(missing).toEqual([]);
  });

  it('gives every error code its status: the catalogue and the SDK’s own', () => {
    for (const code of contract.ERROR_CODES) {
      const row = readme
        .split('\n')
        .find((line) => /^\|\s*\d{3}\s*\|/.test(line) && line.includes(`\`${code}\``));
      expect(row, code).toBeDefined();
      expect(row?.split('|')[1]?.trim(), code).toBe(String(contract.errorStatus(code)));
    }
    for (const code of sdk.CLIENT_ERROR_CODES)
      expect(readme).toMatch(new RegExp(`\\| \`${code}\` +\\|`));
  });
});

/** Members that are private in TypeScript (not part of the API), by name. */
const PRIVATE = new Set([
  'call',
  'send',
  'leaveResult',
  'leaveOverHttp',
  'onConnect',
  'onConnectError',
  'onDisconnect',
  'onStatus',
  'onAdmitted',
  'onEnded',
  'fail',
  'reconnectLater',
  'armFallback',
  'startPolling',
  'setMode',
  'closedError',
  'concertId',
  'emit',
  'reportListenerError',
  'onFrame',
  'onProgress',
  'sync',
]);
