import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const sdk = (path: string) => fileURLToPath(new URL(`./client-sdk/src/${path}`, import.meta.url));

export default defineConfig({
  // Tests use the SDK's sources, so they need no build step.
  resolve: {
    alias: [
      { find: /^@lineup\/client-sdk\/contract$/, replacement: sdk('contract/index.ts') },
      { find: /^@lineup\/client-sdk$/, replacement: sdk('index.ts') },
    ],
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // web-assets.test.ts checks how the built page (dist/web) is served.
          globalSetup: ['test/support/global-setup.ts', 'test/support/build-web.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Files run in parallel, each with its own database and Redis key prefix.
          pool: 'forks',
        },
      },
      {
        extends: true,
        test: {
          // The queue, seat-lock and gateway suites again, on a local 3-master Redis Cluster.
          name: 'cluster',
          include: [
            'test/integration/queue-join.test.ts',
            'test/integration/queue-leader.test.ts',
            'test/integration/queue-prequeue.test.ts',
            'test/integration/queue-guard.test.ts',
            'test/integration/booking-storm.test.ts',
            'test/integration/realtime-gateway.test.ts',
          ],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts', 'test/support/cluster-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          pool: 'forks',
        },
      },
      {
        extends: true,
        test: {
          // `npm run screenshots`: regenerates the README's pictures; not a test of behaviour.
          name: 'screenshots',
          include: ['test/screenshots/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts', 'test/support/build-web.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          // The same databases as integration, plus the page bundled into dist/web.
          globalSetup: ['test/support/global-setup.ts', 'test/support/build-web.ts'],
          // A page waits on a tick, a socket and a render: expect.poll's default 1 s ran out on a
          // loaded machine (waiting-room failed 3 of 3 at load average 16). Waiting longer
          // asserts nothing about speed; a state that never comes still fails.
          expect: { poll: { timeout: 15_000 } },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
    ],
  },
});
