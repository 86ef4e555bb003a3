/**
 * `npm run bench`: the desk's timing goals, measured on this machine.
 * A readable table by default; `-- --json` prints one object keyed by benchmark name;
 * `-- --only a,b` runs a subset.
 */
import { auditThroughput, spoolRecovery } from './bench/audit';
import { orderRoundTrip } from './bench/orders';
import { killSwitch } from './bench/killswitch';
import { sessionCapacity } from './bench/capacity';
import { failover } from './bench/failover';
import { cliStartup } from './bench/cli-startup';
import type { Benchmark, Figure } from './bench/types';

const BENCHMARKS: Benchmark[] = [cliStartup, auditThroughput, spoolRecovery, orderRoundTrip, killSwitch, failover, sessionCapacity];

const args = process.argv.slice(2);
const json = args.includes('--json');
const onlyArg = args[args.indexOf('--only') + 1];
const only = args.includes('--only') && onlyArg ? new Set(onlyArg.split(',')) : undefined;
const unknown = only ? [...only].filter((n) => !BENCHMARKS.some((b) => b.name === n)) : [];
if (unknown.length) {
  console.error(`--only: unknown benchmark(s) ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
  process.exit(2);
}

const results: Record<string, Record<string, Figure>> = {};
for (const bench of BENCHMARKS.filter((b) => !only || only.has(b.name))) {
  if (!json) console.error(`running ${bench.name}: ${bench.description}...`);
  results[bench.name] = await bench.run();
}

if (json) {
  console.log(JSON.stringify(results));
} else {
  const rows = Object.entries(results).flatMap(([name, figures]) => Object.entries(figures).map(([k, f]) => [name, k, String(f.value), f.unit]));
  const widths = [0, 1, 2, 3].map((i) => Math.max(...[['benchmark', 'figure', 'value', 'unit'], ...rows].map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(line(['benchmark', 'figure', 'value', 'unit']));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  rows.forEach((r) => console.log(line(r)));
}
process.exit(0);
