import { readFileSync } from 'node:fs';

/** A process's resident memory in MiB: now (VmRSS), and its peak (VmHWM, since start or since it was last reset). */
export interface ResidentMemory {
  rssMb: number;
  peakMb: number;
}

/** The resident memory of process `pid` from /proc (Linux); undefined where there is no /proc or the process is gone. */
export function residentMemory(pid: number): ResidentMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const rss = kilobytes(status, 'VmRSS');
  const peak = kilobytes(status, 'VmHWM');
  return rss === undefined || peak === undefined ? undefined : { rssMb: rss / 1024, peakMb: Math.max(peak, rss) / 1024 };
}

function kilobytes(status: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match === null ? undefined : Number(match[1]);
}
