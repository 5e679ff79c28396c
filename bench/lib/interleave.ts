// The one way every benchmark takes its figures: contenders measured in turns, run by run, the order
// rotated each run so that none always follows the same one; medians per contender, and ratios taken
// within each run (where both contenders met the same machine) before their median is taken.

/** What one contender measured in one run: named figures such as `rate`, `p50`, `p99`. */
export type Figures = Readonly<Record<string, number>>;

export interface Contender {
  name: string;
  /** Measures once; `run` counts from 0. Answering undefined leaves this run out for this contender (not installed, say). */
  measure(run: number): Promise<Figures | undefined>;
}

/** The figures of interleaved runs, by contender and run. */
export class Runs {
  readonly #figures: Map<string, (Figures | undefined)[]>;

  constructor(figures: Map<string, (Figures | undefined)[]>) {
    this.#figures = figures;
  }

  /** `figure` of `contender`, one entry per run in which it was measured. */
  each(contender: string, figure = 'rate'): number[] {
    return (this.#figures.get(contender) ?? []).flatMap((figures) => (figures?.[figure] === undefined ? [] : [figures[figure]]));
  }

  /** The median of `figure` over the runs, or undefined when `contender` was never measured. */
  median(contender: string, figure = 'rate'): number | undefined {
    return median(this.each(contender, figure));
  }

  /** `ours / theirs` of `figure` in each run that measured both. */
  ratios(ours: string, theirs: string, figure = 'rate'): number[] {
    const a = this.#figures.get(ours) ?? [];
    const b = this.#figures.get(theirs) ?? [];
    return a.flatMap((figures, run) => {
      const x = figures?.[figure];
      const y = b[run]?.[figure];
      return x === undefined || y === undefined || y === 0 ? [] : [x / y];
    });
  }

  /** The median of the within-run ratios `ours / theirs`: what the tables print as "vs". */
  ratio(ours: string, theirs: string, figure = 'rate'): number | undefined {
    return median(this.ratios(ours, theirs, figure));
  }
}

/**
 * Measures every contender once per run, `runs` times, run `r` starting at contender `r mod n`.
 * `onMeasured` hears each measurement as it lands (for progress lines).
 */
export async function interleave(
  runs: number,
  contenders: readonly Contender[],
  onMeasured?: (contender: string, run: number, figures: Figures | undefined) => void,
): Promise<Runs> {
  const figures = new Map(contenders.map((contender) => [contender.name, new Array<Figures | undefined>(runs).fill(undefined)]));
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < contenders.length; k++) {
      const contender = contenders[(run + k) % contenders.length]!;
      const measured = await contender.measure(run);
      figures.get(contender.name)![run] = measured;
      onMeasured?.(contender.name, run, measured);
    }
  }
  return new Runs(figures);
}

/** The middle value (the upper of the two middles for an even count), or undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

/** Events per second of a timed body, as figures. */
export function rateOf({ events, seconds }: { events: number; seconds: number }): Figures {
  return { rate: events / seconds, events, seconds };
}

/** How many runs to take: BENCH_RUNS (BENCH_REPETITIONS, the older name, also counts), default 3. */
export function runsFromEnv(fallback = 3): number {
  const text = process.env['BENCH_RUNS'] ?? process.env['BENCH_REPETITIONS'];
  if (text === undefined) return fallback;
  const runs = Number(text);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS must be a positive whole number, not ${JSON.stringify(text)}`);
  return runs;
}
