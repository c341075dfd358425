import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'cdk.out/**', 'node_modules/**', 'coverage/**', '.bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  {
    // The sync core talks only to ports: no AWS SDK, no sockets.
    files: ['lambda/sync/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@aws-sdk/*', 'node:net', 'node:tls', 'net', 'tls', '**/adapters/**', '**/pop3/**'] }],
    },
  },
  {
    // Parsing knows MIME, nothing of POP3, AWS or the sync core: the core calls it, not the reverse.
    files: ['lambda/parse/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@aws-sdk/*', 'node:net', 'node:tls', '**/sync/**', '**/adapters/**', '**/pop3/**'] }],
    },
  },
  {
    // The protocol engine knows POP3, nothing of AWS.
    files: ['lambda/pop3/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@aws-sdk/*', '**/sync/**', '**/adapters/**'] }],
    },
  },
);
