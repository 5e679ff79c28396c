/** The value at quantile `q` (0..1) of `values`; 0 when there are none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The least-squares slope of `ys` over `xs` (how much y grows per unit of x) and its standard error, the noise it must stand out of. */
export function slope(xs: readonly number[], ys: readonly number[]): { slope: number; stderr: number } {
  const n = xs.length;
  if (n < 2) return { slope: 0, stderr: Number.NaN };
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  const b = den === 0 ? 0 : num / den;
  if (n < 3 || den === 0) return { slope: b, stderr: Number.NaN };
  let residuals = 0;
  for (let i = 0; i < n; i++) residuals += (ys[i]! - (my + b * (xs[i]! - mx))) ** 2;
  return { slope: b, stderr: Math.sqrt(residuals / (n - 2) / den) };
}

/** The resident memory of process `pid` in MB, from /proc (Linux) or `ps`. */
export async function rssMb(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    if (kb !== undefined) return Number(kb) / 1024;
  } catch {
    // not Linux: ask ps
  }
  const { execFileSync } = await import('node:child_process');
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024;
}
