import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyLine, copyText } from '../../bench/lib/raw-copy.js';
import { sourceCalls, STREAM_LENGTH } from '../../bench/lib/mirror-source.js';
import { MAX_APPEND_EVENTS, MAX_APPEND_STREAMS } from '../../src/core/stream-appends.js';

// what the mirror benchmark measures must be what it says: these check the work and that it prints its figures, never its speed

describe('the raw COPY text', () => {
  it('spells null as \\N and escapes backslash, tab, newline and carriage return', () => {
    expect(copyText(null)).toBe('\\N');
    expect(copyText(12)).toBe('12');
    expect(copyText('{"note":"a\\\\b"}')).toBe('{"note":"a\\\\\\\\b"}');
    expect(copyText('a\tb\nc\rd')).toBe('a\\tb\\nc\\rd');
    expect(copyLine([1, 'x', null])).toBe('1\tx\t\\N\n');
  });
});

describe('the source log', () => {
  it('writes every stream contiguously from revision 0 in calls a multi-stream append takes, a quarter of the events tagged', () => {
    const revisions = new Map<string, number>();
    let events = 0;
    let tagged = 0;
    for (const call of sourceCalls(20_000)) {
      expect(call.length).toBeLessThanOrEqual(MAX_APPEND_STREAMS);
      expect(call.reduce((sum, part) => sum + part.events.length, 0)).toBeLessThanOrEqual(MAX_APPEND_EVENTS);
      for (const part of call) {
        const revision = revisions.get(part.stream) ?? 0;
        expect(part.events.map((event) => event.type)).toContain(revision === 0 ? 'Opened' : 'Changed');
        revisions.set(part.stream, revision + part.events.length);
        events += part.events.length;
        tagged += part.events.filter((event) => event.tags !== undefined).length;
        for (const event of part.events) expect(JSON.stringify(event.data).length).toBe(1024);
      }
    }
    expect(events).toBe(20_000);
    expect(tagged).toBe(5_000);
    expect([...revisions.values()].every((length) => length === STREAM_LENGTH)).toBe(true);
    expect(new Set([...revisions.keys()].map((stream) => stream.split('-')[0])).size).toBe(6);
  });
});

describe('npm run bench:mirror', () => {
  it('runs its smallest form and prints every figure and the targets block', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '../../bench/mirror.ts'), '--events', '1000', '--runs', '1', '--seconds', '1', '--disk-mb', '4'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    expect(output).not.toMatch(/Error/);
    expect(code).toBe(0);
    const number = String.raw`-?[\d,]+(\.\d+)?`;
    expect(output).toMatch(new RegExp(String.raw`raw COPY through psql\s+${number}\s+${number}`));
    expect(output).toMatch(new RegExp(String.raw`mirrorLog, follow: false\s+${number}\s+${number}`));
    expect(output).toMatch(new RegExp(String.raw`restoreBackup\s+${number}\s+${number}`));
    expect(output).toMatch(new RegExp(String.raw`backupStore\s+${number}\s+${number}\s+${number}`));
    expect(output).toMatch(new RegExp(String.raw`mirror into PostgreSQL\s+${number}\s+${number}\s+${number}`));
    expect(output).toMatch(new RegExp(String.raw`live subscription on the source\s+${number}\s+${number}\s+${number}`));
    const block = output.slice(output.indexOf('\ntargets\n'));
    for (const figure of ['initial copy SQLite → PostgreSQL vs raw COPY', 'live mirror lag p99', 'backup: uncompressed bytes/s', 'restore into PostgreSQL vs the mirror initial copy']) {
      expect(block).toMatch(new RegExp(String.raw`${figure}.*\s${number}(×| ms)\s+[≥≤] [\d.]+(×| ms)\s+(met|missed)`));
    }
  }, 120_000);
});
