import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const OTHER_MODULES_STORES = {
  group: ['../*/*.store.js', '**/modules/*/*.store.js'],
  message: "Another module's store: go through that module's service.",
};
// File names in src/modules (README "Code layout"): `<subject>.<role>.ts`, the subject in
// kebab-case, the role one of these. Checked here so that a new file gets a role when it is written.
const MODULE_FILE_ROLES = [
  'routes',
  'middleware',
  'gateway',
  'http',
  'service',
  'leader',
  'logic',
  'views',
  'crypto',
  'events',
  'metrics',
  'repository',
  'entities',
  'statements',
  'store',
  'keys',
  'cache',
];
const MODULE_FILE_NAME = new RegExp(
  `^[a-z0-9]+(-[a-z0-9]+)*\\.(${MODULE_FILE_ROLES.join('|')})\\.ts$`,
);
const fileNames = {
  rules: {
    'module-file-role': {
      meta: { type: 'suggestion', schema: [] },
      create(context) {
        return {
          Program(node) {
            const name = context.filename.split(/[\\/]/).pop();
            if (!MODULE_FILE_NAME.test(name)) {
              context.report({
                node,
                message: `File name "${name}": src/modules files are <subject>.<role>.ts with role one of ${MODULE_FILE_ROLES.join(', ')} (README "Code layout").`,
              });
            }
          },
        };
      },
    },
  },
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
    plugins: { 'file-names': fileNames },
    rules: {
      'no-restricted-imports': ['error', { patterns: [OTHER_MODULES_STORES, RAW_REDIS] }],
      'file-names/module-file-role': 'error',
    },
  },
  {
    // Where Redis is owned: the stores, the socket.io adapter's connections, the readiness probe.
    files: [
      'src/modules/*/*.store.ts',
      'src/modules/realtime/adapter-clients.gateway.ts',
      'src/modules/realtime/realtime.gateway.ts',
      'src/modules/realtime/socket-server.gateway.ts',
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
