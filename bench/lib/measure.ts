/** Seconds taken by `body`. */
export async function timed(body: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await body();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function rate(value: number | undefined): string {
  if (value === undefined) return '—';
  return Math.round(value).toLocaleString('en-US');
}

/** A ratio as the tables print it, `0.93×`; a dash when it was not measured. */
export function times(value: number | undefined): string {
  return value === undefined ? '—' : `${value.toFixed(2)}×`;
}

/** Prints rows as an aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
