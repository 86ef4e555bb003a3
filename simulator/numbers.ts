/** Float helpers: amounts are plain numbers, so every result is rounded back onto a decimal grid. */

const EPS = 1e-9;

/** Rounds away binary noise (0.1 + 0.2) while keeping far more precision than any venue shows. */
export function clean(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(15)) : x;
}

export function decimalsOf(step: number): number {
  const s = step.toString();
  if (s.includes('e-')) return Number(s.split('e-')[1]);
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

export function isMultipleOf(x: number, step: number): boolean {
  const r = x / step;
  return Math.abs(r - Math.round(r)) < 1e-7;
}

const onGrid = (units: number, step: number) => Number((units * step).toFixed(decimalsOf(step)));

export function floorTo(x: number, step: number): number {
  return onGrid(Math.floor(x / step + EPS), step);
}

export function ceilTo(x: number, step: number): number {
  return onGrid(Math.ceil(x / step - EPS), step);
}

export function roundTo(x: number, step: number): number {
  return onGrid(Math.round(x / step), step);
}

/** Fixed-point text as venues send it ("0.00100000"); never exponent notation. */
export function fmt(x: number, decimals: number): string {
  return clean(x).toFixed(decimals);
}

/** Shortest plain decimal text ("0.001", "60000.5"). */
export function plain(x: number): string {
  const c = clean(x);
  if (Number.isInteger(c)) return c.toString();
  return c.toFixed(12).replace(/0+$/, '').replace(/\.$/, '');
}
