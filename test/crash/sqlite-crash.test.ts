import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import type { RecordedEvent } from '../../src/core/event.js';

const ROUNDS = Number(process.env['CRASH_ROUNDS'] ?? 12);
const CHILDREN = 3;
const folder = mkdtempSync(join(tmpdir(), 'tributary-crash-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

interface Intent {
  stream: string;
  ids: string[];
}

function startAppender(path: string, name: string, intents: Map<string, Intent>, acked: Map<string, number[]>) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'appender.ts'), path, name], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`appender ${name} exited early: ${code ?? signal}`)));
    lines.on('line', (line) => {
      const message = JSON.parse(line) as { ready?: string; intent?: string; ack?: string; stream?: string; ids?: string[]; revisions?: number[] };
      if (message.ready) resolve();
      if (message.intent) intents.set(message.intent, { stream: message.stream!, ids: message.ids! });
      if (message.ack) acked.set(message.ack, message.revisions!);
    });
  });
  const closed = new Promise<void>((resolve) => lines.once('close', resolve));
  return { child, ready, closed };
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

it(
  `appends acknowledged before a SIGKILL survive whole, and no batch is ever partly there (${ROUNDS} rounds)`,
  async () => {
    const path = join(folder, 'crash.db');
    const intents = new Map<string, Intent>();
    const acked = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const appenders = Array.from({ length: CHILDREN }, (_, i) => startAppender(path, `r${round}c${i}`, intents, acked));
      await Promise.all(appenders.map((a) => a.ready));
      await Promise.all(
        appenders.map(async ({ child }) => {
          await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 400));
          await kill(child);
        }),
      );
      await Promise.all(appenders.map((a) => a.closed));

      const store = openSqliteStore({ path });
      try {
        const byId = new Map<string, RecordedEvent>();
        let after: number | null = 0;
        while (after !== null) {
          const page = await store.readAll({ after, limit: 5000 });
          for (const event of page.events) byId.set(event.id, event);
          after = page.next;
        }
        for (const [batch, { stream, ids }] of intents) {
          const present = ids.filter((id) => byId.has(id));
          // atomic: all of a batch or none of it
          expect([0, ids.length], `batch ${batch}`).toContain(present.length);
          const revisions = acked.get(batch);
          if (revisions === undefined) continue;
          // durable: every acknowledged batch is there, whole, where the ack said
          expect(present.length, `acknowledged batch ${batch}`).toBe(ids.length);
          expect(ids.map((id) => byId.get(id)!.stream)).toEqual(ids.map(() => stream));
          expect(ids.map((id) => byId.get(id)!.revision)).toEqual(revisions);
        }
        for (const { stream } of (await store.listStreams({ limit: 100 })).streams) {
          const revisions: number[] = [];
          let from: number | null = 0;
          while (from !== null) {
            const page = await store.readStream(stream, { from, limit: 5000 });
            revisions.push(...page.events.map((e) => e.revision));
            from = page.next;
          }
          expect(revisions).toEqual(revisions.map((_, i) => i));
        }
      } finally {
        await store.close();
      }
    }
    expect(acked.size).toBeGreaterThan(ROUNDS * CHILDREN);
    expect(intents.size).toBeGreaterThan(acked.size);
  },
  240_000,
);
