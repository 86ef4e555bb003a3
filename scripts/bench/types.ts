/** One figure of a benchmark, with its unit, so the JSON output is self-describing. */
export interface Figure {
  value: number;
  unit: string;
}

export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<Record<string, Figure>>;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}
