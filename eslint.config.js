// Lint for what the tests miss: promises nobody awaits or catches, and imports
// that break the architecture. Type-aware (one program from tsconfig.json).
import { builtinModules } from 'node:module';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * Top-level folders and files, each with the folders it may import values
 * from. The order is a layering (each entry lists only entries above it in
 * this table, checked below), so no value-import cycle between folders can
 * exist. Type-only imports (`import type`, `export type`) are free: they
 * vanish at build time (except where EXTRA below says otherwise).
 * test/layers.test.ts checks that every top-level folder and file is here.
 */
export const LAYERS = {
  domain: [],
  // Each procedure's messages, input, status and ids: what workflows and their callers share.
  contracts: ['domain'],
  config: ['domain'],
  adapters: ['domain', 'config'],
  // Sandboxed and replayed: pure domain rules and the contracts only (config/load reads files).
  workflows: ['domain', 'contracts'],
  activities: ['domain', 'contracts', 'config', 'adapters'],
  // Client-side Temporal controls: what the CLI and the bot use, never the worker.
  clients: ['domain', 'contracts', 'config', 'adapters', 'activities'],
  simulator: ['domain', 'config', 'adapters'],
  // Workers start workflows by function and register them; workers/composition.ts wires every process.
  workers: ['domain', 'contracts', 'config', 'adapters', 'workflows', 'activities', 'clients', 'simulator'],
  operator: ['domain', 'contracts', 'config', 'adapters', 'activities', 'clients', 'simulator', 'workers'],
  // bin/ (the CLI entry and its build) imports no test or script, so test/ and scripts/ may build the CLI.
  bin: ['domain', 'contracts', 'config', 'adapters', 'workflows', 'activities', 'clients', 'simulator', 'workers', 'operator'],
  test: ['domain', 'contracts', 'config', 'adapters', 'workflows', 'activities', 'clients', 'simulator', 'workers', 'operator', 'bin'],
  scripts: ['domain', 'contracts', 'config', 'adapters', 'workflows', 'activities', 'clients', 'simulator', 'workers', 'operator', 'bin', 'test'],
  // Tool configs at the top: they import no project code, and no project code imports them.
  'eslint.config.js': [],
  'vitest.config.ts': [],
};
const FOLDERS = Object.keys(LAYERS);

// A table that lets an entry import one below it would allow a value-import cycle: refuse to lint with it.
for (const [i, entry] of FOLDERS.entries()) {
  const below = LAYERS[entry].filter((f) => !FOLDERS.slice(0, i).includes(f));
  if (below.length) throw new Error(`eslint.config.js LAYERS: ${entry} lists ${below.join(', ')}, not above it: that would allow a value-import cycle`);
}

/** A top-level file rather than a folder. */
const isFile = (entry) => /\.[cm]?[jt]s$/.test(entry);

// Regexes write `/` as \x2F: esquery (used for dynamic imports below) ends a regex at any `/`.
const S = '\\x2F';
const nodeBuiltins = {
  regex: `^(node:|(${builtinModules.map((m) => m.replaceAll('/', S)).join('|')})(${S}|$))`,
  message: 'workflows/ runs in the Temporal workflow sandbox: no Node builtins',
};
/**
 * Per folder, what else is forbidden; `only` replaces the layer rule with a stricter one, a pattern
 * with `types: true` refuses type-only imports too, and `noTypes` lists folders the folder may not
 * import anything from, not even a type.
 */
const EXTRA = {
  // Pure rules run inside workflows: other domain files only (domain/ is flat),
  // plus zod, whose strategy params schemas live beside the strategies.
  domain: { only: true, patterns: [{ regex: `^(?!\\.${S}[^${S}]+$|zod$)`, types: true, message: 'domain/ imports only from domain/ (and zod): it is pure rules, run inside workflows' }] },
  // Loaded by clients (the CLI, the bot) and bundled into workflows: the define* functions and
  // domain/ only, types included (contracts/ is flat).
  contracts: {
    only: true,
    patterns: [
      {
        regex: `^(?!\\.${S}[^${S}]+$|\\.\\.${S}domain${S}[^${S}]+$|@temporalio${S}(workflow|common)$)`,
        types: true,
        message: 'contracts/ imports only @temporalio/workflow (or common), domain/ and other contracts, not even a type: clients load it and workflows bundle it',
      },
    ],
  },
  workflows: { patterns: [nodeBuiltins] },
  // What these need of a workflow is its contract (contracts/): its messages, types and ids, and
  // its workflow type name for a start by name. Workflow code stays the worker's.
  activities: { noTypes: ['workflows'] },
  clients: { noTypes: ['workflows'] },
  operator: { noTypes: ['workflows'] },
};

// Intra-repo imports are relative, so "which top folder" depends on the file's
// depth: a file N folders below its top folder reaches a sibling top folder
// with N+1 `../` (a top-level file with `./`). One config block per (entry,
// depth) keeps the match exact; the deepest file today is 2 folders down (test/domain/sandbox/).
const MAX_DEPTH = 6;
const SOURCES = '{ts,js,mjs,cjs}';

/** What an import of `entry` looks like after the `../` prefix: the folder and anything in it, or the file with or without its extension. */
function target(entry) {
  if (!isFile(entry)) return `${entry}(${S}|$)`;
  return `${entry.replace(/\.[cm]?[jt]s$/, '').replaceAll('.', '\\.')}(\\.[cm]?[jt]s)?$`;
}

function layerBlocks() {
  const blocks = [];
  for (const entry of FOLDERS) {
    const extra = EXTRA[entry] ?? {};
    const noTypes = extra.noTypes ?? [];
    const forbidden = FOLDERS.filter((f) => f !== entry && !LAYERS[entry].includes(f) && !noTypes.includes(f));
    for (let depth = 0; depth < (isFile(entry) ? 1 : MAX_DEPTH); depth++) {
      const up = isFile(entry) ? `\\.${S}` : `\\.\\.${S}`.repeat(depth + 1);
      const files = isFile(entry) ? [entry] : [`${entry}/${'*/'.repeat(depth)}*.${SOURCES}`];
      const patterns = [
        ...(forbidden.length && !extra.only
          ? [{ regex: `^${up}(${forbidden.map(target).join('|')})`, message: `${entry} may import values only from ${LAYERS[entry].join(', ') || 'no other folder'} (see LAYERS in eslint.config.js); a type-only import is fine` }]
          : []),
        ...noTypes.map((f) => ({
          regex: `^${up}${target(f)}`,
          types: true,
          message: `${entry}/ imports nothing from ${f}/, not even a type: take the workflow's messages, types, ids and type name from contracts/`,
        })),
        ...(extra.patterns ?? []),
      ];
      const importRule = ['error', { patterns: patterns.map(({ types, ...p }) => ({ ...p, allowTypeImports: !types })) }];
      blocks.push({
        name: `warden/layers/${entry}/depth-${depth}`,
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
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.base],
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  ...layerBlocks(),
);
