/** Runs `body` `repetitions` times and returns the median of its events-per-second figures. */
export async function medianRate(repetitions: number, body: () => Promise<{ events: number; seconds: number }>): Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const { events, seconds } = await body();
    rates.push(events / seconds);
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

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

export function ratio(ours: number | undefined, theirs: number | undefined): string {
  if (ours === undefined || theirs === undefined) return '—';
  return `${(ours / theirs).toFixed(2)}×`;
}

/** Prints rows as an aligned text table. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
