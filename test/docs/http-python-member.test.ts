import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { consumerStatus } from '../../src/subscriptions/status.js';
import { listening, withServer } from '../server/support.js';
import { codeBlocks } from '../support/markdown-blocks.js';

/**
 * The Python member loop of docs/http.md, exactly as written there, run as
 * two members of one group against a real server: every event is handled
 * once, each stream in order, and acknowledged, so the checkpoints reach the head.
 */
const folder = mkdtempSync(join(tmpdir(), 'tributary-python-member-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const [loop, ...others] = codeBlocks('docs/http.md').filter((block) => block.language === 'python');

interface PythonMember {
  process: ChildProcess;
  lines: string[];
  errors: string[];
}

function startMember(script: string, env: Record<string, string>): PythonMember {
  const child = spawn('python3', [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const member: PythonMember = { process: child, lines: [], errors: [] };
  let rest = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    member.lines.push(...lines);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => member.errors.push(chunk));
  return member;
}

async function until(check: () => boolean | Promise<boolean>, what: string, members: PythonMember[], ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}; the members said ${JSON.stringify(members.map((m) => m.errors.join('')))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it('docs/http.md holds one Python member loop', () => {
  expect(loop).toBeDefined();
  expect(others).toEqual([]);
});

it('the Python member loop of docs/http.md, run as two members, handles and acknowledges every event of a busy category once, each stream in order', async () => {
  const script = join(folder, 'member.py');
  writeFileSync(script, loop!.code);
  await withServer({ open: false }, async ({ app, store, token }) => {
    const base = await listening(app);
    const { authorization } = await token('read:order');
    const env = (member: string) => ({
      TRIBUTARY_URL: base,
      TRIBUTARY_GROUP: 'emails',
      TRIBUTARY_MEMBER: member,
      TRIBUTARY_QUERY: 'category=order&partitions=8&window=20',
      TRIBUTARY_TOKEN: authorization.slice('Bearer '.length),
    });
    const members = [startMember(script, env('py-a')), startMember(script, env('py-b'))];
    try {
      await until(async () => {
        const status = (await consumerStatus(store, ['emails']))[0];
        return status?.members.length === 2 && status.members.every((m) => m.partitions.length === 4);
      }, 'both Python members hold four partitions', members);
      await Promise.all(
        Array.from({ length: 30 }, async (_, s) => {
          for (let i = 0; i < 10; i++) await store.append(`order-${s}`, [{ type: 'Placed', data: { i } }]);
        }),
      );
      await until(() => members.every((m) => m.lines.length > 0) && members.reduce((sum, m) => sum + m.lines.length, 0) >= 300, 'every event is handled', members);
      await until(async () => (await consumerStatus(store, ['emails']))[0]?.lagEvents === 0, 'every event is acknowledged', members);
    } finally {
      for (const member of members) member.process.kill();
    }
    const handled = members.flatMap((m) => m.lines).map((line) => line.split(' '));
    expect(handled).toHaveLength(300);
    for (let s = 0; s < 30; s++) {
      const revisions = members.flatMap((m) => m.lines.filter((line) => line.startsWith(`order-${s} `)).map((line) => Number(line.split(' ')[1])));
      expect(revisions, `order-${s}`).toEqual(Array.from({ length: 10 }, (_, i) => i));
    }
  });
}, 120_000);
