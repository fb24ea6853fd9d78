/** The cost model's arithmetic (bench/cost-model.ts), pure so it is unit-tested. */

/**
 * Partitions a flush of `records` touches when records land on P partitions evenly at random:
 * P·(1 − (1 − 1/P)^records). (The sweep's requests each cover 128 consecutive partitions, so a
 * small flush at P = 256 touches fewer than 256; this is the estimate, not a count.)
 */
export function expectedTouched(partitions: number, records: number): number {
  return partitions * (1 - (1 - 1 / partitions) ** records);
}

/** Least squares y = a + b·x (through the origin for a single point). */
export function linearFit(points: [number, number][]): { a: number; b: number } {
  const n = points.length;
  if (n === 1) return { a: 0, b: points[0]![1] / points[0]![0] };
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const b = sxx === 0 ? 0 : sxy / sxx;
  return { a: my - b * mx, b };
}
