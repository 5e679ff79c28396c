// What the issue benchmarks share around their measurements: their count flags, the parts asked for with --only,
// and the closing report of each run's ratios, the targets met or missed, and the machine's load.
import { loadavg } from 'node:os';
import { table } from './measure.js';

/** A positive whole number given to `--<flag>`, or `fallback` when the flag is absent. */
export function countFlag(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`--${flag} must be a positive whole number, not ${JSON.stringify(text)}`);
  return value;
}

/** The parts `--only` names (a comma-separated list), each one of `known`. */
export function partsAskedFor<Part extends string>(only: string, known: readonly Part[]): ReadonlySet<Part> {
  const asked = only.split(',').map((part) => part.trim());
  for (const part of asked) {
    if (!(known as readonly string[]).includes(part)) throw new Error(`--only: unknown part ${JSON.stringify(part)}; the parts are ${known.join(', ')}`);
  }
  return new Set(asked as Part[]);
}

/** A figure the issue sets a target for. */
interface Target {
  name: string;
  value: string;
  target: string;
  met: boolean | undefined;
}

/** Collects each run's ratios and the targets, and prints them at the end with the load the run saw. */
export class BenchReport {
  readonly #targets: Target[] = [];
  readonly #perRun: string[] = [];
  readonly #loadAtStart = loadavg();

  /** One figure against its target; `met` is undefined when it was not measured. */
  target(name: string, value: string, target: string, met: boolean | undefined): void {
    this.#targets.push({ name, value, target, met });
  }

  /** One line of the per-run block: the figure's ratio in each run. */
  eachRun(line: string): void {
    this.#perRun.push(`  ${line}`);
  }

  print(): void {
    console.log(`\neach run's ratio:\n${this.#perRun.join('\n')}`);
    console.log('\ntargets');
    const verdict = (met: boolean | undefined) => (met === undefined ? 'not measured' : met ? 'met' : 'missed');
    console.log(table(['figure', 'measured', 'target', ''], this.#targets.map(({ name, value, target, met }) => [name, value, target, verdict(met)])));
    const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(' ');
    console.log(`\nload average (1, 5, 15 min): ${load(this.#loadAtStart)} at start, ${load(loadavg())} at end`);
  }
}
