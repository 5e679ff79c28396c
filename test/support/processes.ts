import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

// Linux /proc readings of processes the tests start: their memory, CPU time and children

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** The fields of /proc/<pid>/stat after "pid (comm) ": state is [0], ppid [1], utime [11], stime [12]. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Whether process `pid` exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  const fields = statFields(pid);
  return fields !== undefined && fields[0] !== 'Z';
}

/** The running processes whose parent is `pid`. */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((candidate) => {
      const fields = statFields(candidate);
      return fields !== undefined && fields[0] !== 'Z' && Number(fields[1]) === pid;
    });
}

/** A figure of /proc/<pid>/status in MiB (VmHWM is the peak resident set); 0 once the process is gone. */
export function memoryMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return Number(kb ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** CPU time (user and system) the processes have used so far, in ms; a process gone counts 0. */
export function cpuMs(...pids: number[]): number {
  return pids.reduce((sum, pid) => {
    const fields = statFields(pid);
    return fields === undefined ? sum : sum + ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  }, 0);
}

/** Resolves once `check` holds, polled every `everyMs`; fails after `ms` with `what`. */
export async function until(check: () => boolean, what: string, ms = 10_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
