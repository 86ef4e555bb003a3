// Lint for what the tests miss: promises nobody awaits or catches, and imports
// that break the architecture. Type-aware (one program from tsconfig.json).
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * Top-level folders, each with the folders it may import values from. The
 * order is a layering (each folder lists only folders above it in this
 * table), so no value-import cycle between folders can exist. Type-only
 * imports (`import type`, `export type`) are free: they vanish at build time.
 */
const LAYERS = {
  domain: [],
  config: ['domain'],
  adapters: ['domain', 'config'],
  // Sandboxed and replayed: pure domain rules only (config/load reads files).
  workflows: ['domain'],
  activities: ['domain', 'config', 'adapters', 'workflows'],
  // Client-side Temporal controls: what the CLI and the bot use, never the worker.
  clients: ['domain', 'config', 'adapters', 'workflows', 'activities'],
  simulator: ['domain', 'config', 'adapters'],
  workers: ['domain', 'config', 'adapters', 'workflows', 'activities', 'clients', 'simulator'],
  operator: ['domain', 'config', 'adapters', 'workflows', 'activities', 'clients', 'simulator', 'workers'],
  // bin/ (the CLI entry and its build) imports no test or script, so test/ and scripts/ may build the CLI.
  bin: ['domain', 'config', 'adapters', 'workflows', 'activities', 'clients', 'simulator', 'workers', 'operator'],
  test: ['domain', 'config', 'adapters', 'workflows', 'activities', 'clients', 'simulator', 'workers', 'operator', 'bin'],
  scripts: ['domain', 'config', 'adapters', 'workflows', 'activities', 'clients', 'simulator', 'workers', 'operator', 'bin', 'test'],
};
const FOLDERS = Object.keys(LAYERS);

// Regexes write `/` as \x2F: esquery (used for dynamic imports below) ends a regex at any `/`.
const S = '\\x2F';
const nodeBuiltins = {
  regex: `^(node:|(${builtinModules.map((m) => m.replaceAll('/', S)).join('|')})(${S}|$))`,
  message: 'workflows/ runs in the Temporal workflow sandbox: no Node builtins',
};
/** Per folder, what else is forbidden; `only` replaces the layer rule with a stricter one. */
const EXTRA = {
  // Pure rules run inside workflows: other domain files only (domain/ is flat),
  // plus zod, whose strategy params schemas live beside the strategies.
  domain: { only: true, patterns: [{ regex: `^(?!\\.${S}[^${S}]+$|zod$)`, message: 'domain/ imports values only from domain/ (and zod): it is pure rules, run inside workflows' }] },
  workflows: { patterns: [nodeBuiltins] },
};

// Intra-repo imports are relative, so "which top folder" depends on the file's
// depth: a file N folders below its top folder reaches a sibling top folder
// with N+1 `../`. One config block per (folder, depth) keeps the match exact;
// the deepest file today is 2 folders down (test/domain/sandbox/).
const MAX_DEPTH = 6;
function layerBlocks() {
  const blocks = [];
  for (const folder of FOLDERS) {
    const forbidden = FOLDERS.filter((f) => f !== folder && !LAYERS[folder].includes(f));
    for (let depth = 0; depth < MAX_DEPTH; depth++) {
      const up = `\\.\\.${S}`.repeat(depth + 1);
      const files = [`${folder}/${'*/'.repeat(depth)}*.{ts,js}`];
      const extra = EXTRA[folder] ?? { patterns: [] };
      const patterns = [
        ...(forbidden.length && !extra.only
          ? [{ regex: `^${up}(${forbidden.join('|')})(${S}|$)`, message: `${folder}/ may import values only from ${LAYERS[folder].join(', ') || 'itself'} (see LAYERS in eslint.config.js); a type-only import is fine` }]
          : []),
        ...extra.patterns,
      ];
      const importRule = ['error', { patterns: patterns.map((p) => ({ ...p, allowTypeImports: true })) }];
      blocks.push({
        name: `warden/layers/${folder}/depth-${depth}`,
        files,
        rules: {
          '@typescript-eslint/no-restricted-imports': importRule,
          // no-restricted-imports does not see `await import('...')`.
          'no-restricted-syntax': [
            'error',
            ...patterns.map((p) => ({ selector: `ImportExpression[source.value=/${p.regex}/]`, message: `import(): ${p.message}` })),
          ],
        },
      });
    }
  }
  return blocks;
}

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', '.warden/', 'test-artifacts/'] },
  {
    name: 'warden/typescript',
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
      'no-async-promise-executor': 'error',
    },
  },
  {
    // bin/ is plain JS outside the TS program: only the import layering applies.
    name: 'warden/javascript',
    files: ['**/*.js'],
    extends: [tseslint.configs.base],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  ...layerBlocks(),
);
