import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openPostgresStore } from '../../src/backends/postgres/postgres-store.js';

export interface TrialOptions {
  url: string;
  schema: string;
  writers: number;
  readers: number;
  seconds: number;
  streams: number;
}

export interface TrialOutcome {
  committed: { position: number; id: string }[];
  readers: { positions: number[]; ids: string[] }[];
  acked: Set<string>;
  ghosts: Set<string>;
  killedWriter: boolean;
}

function child(script: string, args: string[], onLine: (message: Record<string, unknown>) => void) {
  const process_ = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, script), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: process_.stdout });
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  lines.on('line', (line) => {
    const message = JSON.parse(line) as Record<string, unknown>;
    if (message['ready']) markReady();
    onLine(message);
  });
  const exited = new Promise<number | null>((resolve) => process_.once('exit', (code) => resolve(code)));
  const closed = new Promise<void>((resolve) => lines.once('close', resolve));
  return { process: process_, ready, exited, closed };
}

function kill(target: ChildProcess): void {
  if (target.exitCode === null && target.signalCode === null) target.kill('SIGKILL');
}

/**
 * Runs writer and reader processes against one schema and collects what each
 * reader saw, what was acknowledged, what was rolled back, and the final log.
 */
export async function runOrderingTrial(options: TrialOptions): Promise<TrialOutcome> {
  const setup = await openPostgresStore({ url: options.url, schema: options.schema, poolSize: 1 });
  await setup.close();
  const acked = new Set<string>();
  const ghosts = new Set<string>();
  const seen = Array.from({ length: options.readers }, () => ({ positions: [] as number[], ids: [] as string[] }));
  const readers = seen.map((record) =>
    child('ordering-reader.ts', [options.url, options.schema], (message) => {
      if (Array.isArray(message['positions'])) {
        record.positions.push(...(message['positions'] as number[]));
        record.ids.push(...(message['ids'] as string[]));
      }
    }),
  );
  const writers = Array.from({ length: options.writers }, () =>
    child('ordering-writer.ts', [options.url, options.schema, String(options.seconds), String(options.streams)], (message) => {
      for (const id of (message['acked'] as string[] | undefined) ?? []) acked.add(id);
      for (const id of (message['ghost'] as string[] | undefined) ?? []) ghosts.add(id);
    }),
  );
  await Promise.all([...readers, ...writers].map((c) => c.ready));
  // one writer dies mid-run, in the middle of whatever it was doing
  const victim = writers[0]!;
  setTimeout(() => kill(victim.process), (options.seconds * 1000) / 2);
  const codes = await Promise.all(writers.map((w) => w.exited));
  await Promise.all(writers.map((w) => w.closed));
  if (codes.slice(1).some((code) => code !== 0)) throw new Error(`a writer failed: exit codes ${codes.join(', ')}`);
  for (const reader of readers) reader.process.stdin.end('done\n');
  const readerCodes = await Promise.all(readers.map((r) => r.exited));
  await Promise.all(readers.map((r) => r.closed));
  if (readerCodes.some((code) => code !== 0)) throw new Error(`a reader failed: exit codes ${readerCodes.join(', ')}`);

  const store = await openPostgresStore({ url: options.url, schema: options.schema, poolSize: 1 });
  const committed: { position: number; id: string }[] = [];
  try {
    let after: number | null = 0;
    while (after !== null) {
      const page = await store.readAll({ after, limit: 5000 });
      committed.push(...page.events.map((e) => ({ position: e.position, id: e.id })));
      after = page.next;
    }
  } finally {
    await store.close();
  }
  return { committed, readers: seen, acked, ghosts, killedWriter: codes[0] === null };
}
