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
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // Files run in parallel, each with its own database and Redis key prefix.
          pool: 'forks',
        },
      },
    ],
  },
});
