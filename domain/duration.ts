/**
 * Durations as operators read them in timer summaries, reminders and audit details: "5 min",
 * "2 h", "3 d", "1 s". A budget that is a whole number of a unit is shown exactly in it;
 * anything else is rounded in the largest unit it reaches (95 min 30 s reads "2 h").
 */
const UNITS: Array<[number, string]> = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'min'],
  [1_000, 's'],
];

export function formatDuration(ms: number): string {
  const exact = UNITS.find(([size]) => ms >= size && ms % size === 0);
  if (exact) return `${ms / exact[0]} ${exact[1]}`;
  const [size, unit] = UNITS.find(([s]) => ms >= s) ?? UNITS[UNITS.length - 1]!;
  return `${Math.round(ms / size)} ${unit}`;
}
