import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** One line of a consumer child's output file: who handled which event, and when. */
export interface HandledLine {
  m: string;
  s: string;
  r: number;
  p: number;
  t0: number;
  t1: number;
}

const running = new Set<ChildProcess>();

/** Kills every child still running: a failed test must not leave consumers behind. */
export async function killChildren(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child, 'SIGKILL')));
}

/** Starts `consumer-child.ts` and resolves once its consumer runs. */
export async function startConsumerChild(options: Record<string, unknown>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'consumer-child.ts'), JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const lines = createInterface({ input: child.stdout });
  let early: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  await new Promise<void>((resolve, reject) => {
    early = (code, signal) => reject(new Error(`consumer child exited early: ${code ?? signal}`));
    child.once('exit', early);
    lines.once('line', () => resolve());
  });
  child.off('exit', early!);
  return child;
}

/** Sends `signal` and resolves when the child has exited. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export function readHandled(file: string): HandledLine[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  // the last piece is empty, or a line a running child is still writing
  lines.pop();
  return lines.map((line) => JSON.parse(line) as HandledLine);
}

/** Polls until `check` holds; fails naming `what` after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
