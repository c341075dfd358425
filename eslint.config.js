import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Outside lambda/pop3, the engine is its index: its files are free to change behind it. */
const POP3_INDEX_ONLY = {
  group: ['**/pop3/*', '**/pop3/**/*', '!**/pop3/index.js', '!**/adapters/pop3/*'],
  message: 'Import the POP3 engine through lambda/pop3/index.ts only.',
};
const CONFIG = { group: ['**/config/*'], message: 'Adapters take their settings from the composition root (lambda/compose), not from lambda/config.' };
const ADAPTERS = { group: ['**/adapters/**'], message: 'lambda/config describes; lambda/compose builds the adapters.' };
/** The handler's contract (env names, metric names) is a leaf module the composition root may read. */
const ENTRY_POINTS_EXCEPT_CONTRACT = {
  group: ['**/handler/*', '**/cli/*', '**/cli/**/*', '!**/handler/contract.js'],
  message: 'The entry points import the composition root, not the reverse.',
};
const WIRING_AND_ENTRY_POINTS = [
  { group: ['**/compose/*'], message: 'Only the entry points import the composition root.' },
  { group: ['**/handler/*', '**/cli/*', '**/cli/**/*'], message: 'Only the entry points import the entry points.' },
];

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
  {
    // Adapters implement ports; the composition root hands them their settings. They never read
    // the configuration schema (its types included) and never reach the wiring or the entry points.
    files: ['lambda/adapters/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [CONFIG, ...WIRING_AND_ENTRY_POINTS, POP3_INDEX_ONLY] }],
    },
  },
  {
    // The configuration describes; it never constructs: no adapters, no wiring, no entry points.
    files: ['lambda/config/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [ADAPTERS, ...WIRING_AND_ENTRY_POINTS, POP3_INDEX_ONLY] }],
    },
  },
  {
    // The composition root is imported by the entry points, never the reverse.
    files: ['lambda/compose/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [ENTRY_POINTS_EXCEPT_CONTRACT, POP3_INDEX_ONLY] }],
    },
  },
  {
    // Entry points reach the engine through its index only.
    files: ['lambda/handler/**/*.ts', 'lambda/cli/**/*.ts', 'lambda/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [POP3_INDEX_ONLY] }],
    },
  },
);
