import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

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
