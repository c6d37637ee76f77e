import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const OTHER_MODULES_STORES = {
  group: ['../*/*.store.js', '**/modules/*/*.store.js'],
  message: "Another module's store: go through that module's service.",
};
const RAW_REDIS = {
  group: ['**/infra/redis/*'],
  message: 'Redis belongs to a store (*.store.ts) of the module that owns the keys.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'client-sdk/dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Only src/config reads the environment.' },
      ],
    },
  },
  {
    // Module boundaries (DEVELOPERS.md "Style"): a module's Redis store (*.store.ts) is reached
    // from other modules only through its service, and Redis itself only through a store.
    files: ['src/modules/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [OTHER_MODULES_STORES, RAW_REDIS] }],
    },
  },
  {
    // Where Redis is owned: the stores, the socket.io adapter's connections, the readiness probe.
    files: [
      'src/modules/*/*.store.ts',
      'src/modules/realtime/adapter-clients.ts',
      'src/modules/realtime/realtime.gateway.ts',
      'src/modules/ops/ops.routes.ts',
    ],
    rules: { 'no-restricted-imports': ['error', { patterns: [OTHER_MODULES_STORES] }] },
  },
  {
    // Example programs are stand-alone apps, configured by their environment.
    files: [
      'src/config/**',
      'test/**',
      'scripts/**',
      'vitest.config.ts',
      'load/**',
      'client-sdk/examples/**',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Tests read response bodies loosely; the schemas they check against are the typed part.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
