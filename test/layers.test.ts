import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** eslint.config.js's LAYERS table, read as eslint reads it (the config is plain JS outside the TS program and above every layer). */
const LAYERS = JSON.parse(
  execFileSync('node', ['--input-type=module', '-e', 'const { LAYERS } = await import("./eslint.config.js"); console.log(JSON.stringify(LAYERS))'], { encoding: 'utf8' }),
) as Record<string, string[]>;

/** Top-level folders and files that hold code (TypeScript or JavaScript), from what git tracks. */
function codeEntries(): string[] {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' }).split('\n');
  const entries = files.filter((f) => /\.[cm]?[jt]s$/.test(f)).map((f) => f.split('/')[0]!);
  return [...new Set(entries)].sort();
}

describe('the layer table', () => {
  it('names every top-level folder and file that holds code, so none escapes the import rules', () => {
    const missing = codeEntries().filter((e) => !(e in LAYERS));
    expect(missing).toEqual([]);
  });

  it('lists for each entry only entries above it: no value-import cycle between folders is possible', () => {
    const order = Object.keys(LAYERS);
    const upward = order.flatMap((e, i) => LAYERS[e]!.filter((dep) => !order.slice(0, i).includes(dep)).map((dep) => `${e} -> ${dep}`));
    expect(upward).toEqual([]);
  });
});
