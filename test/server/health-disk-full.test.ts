import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { OpenApiContract } from './openapi.js';
import { withServer } from './support.js';

// a real full disk: a 4 MiB tmpfs that the test fills, then empties again
const mountPoint = mkdtempSync(join(tmpdir(), 'tributary-disk-full-'));
const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint], { encoding: 'utf8' });
const mounted = mount.status === 0;
if (!mounted) {
  const reason = `cannot mount a tmpfs at ${mountPoint} (${mount.error?.message ?? mount.stderr.trim()}); it needs root`;
  if (process.env['CI'] === 'true') throw new Error(`${reason} (CI=true: the full-disk test must run)`);
  console.warn(`skipping the full-disk health test: ${reason}`);
}
afterAll(() => {
  if (mounted && spawnSync('umount', [mountPoint]).status !== 0) spawnSync('umount', ['-l', mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

/** Writes a file until the file system refuses: answers its path. */
function fillDisk(): string {
  const filler = join(mountPoint, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    closeSync(fd);
  }
  return filler;
}

it.skipIf(!mounted)('health says degraded with reason "disk full" while appends fail on a full disk, and ready once an append succeeds again', async () => {
  const store = openSqliteStore({ path: join(mountPoint, 'events.db') });
  await withServer({ store }, async ({ app }) => {
    const contract = await OpenApiContract.load(app);
    const call = async (method: 'GET' | 'POST', url: string, path: string, payload?: object) => {
      const response = await app.inject({ method, url, payload });
      const body = response.json<Record<string, unknown>>();
      contract.check(method, path, response.statusCode, body);
      return { status: response.statusCode, body };
    };
    const health = () => call('GET', '/health', '/health');
    // events of 200 KB: the log outgrows what the WAL already holds within a few appends
    const big = (i: number) => ({ events: [{ type: 'Filled', data: { i, padding: 'x'.repeat(200_000) } }] });
    const append = (i: number) => call('POST', `/streams/disk-${i}`, '/streams/{stream}', big(i));

    expect((await append(0)).status).toBe(201);
    expect((await health()).body).toEqual({ status: 'ready', head: 1 });

    const filler = fillDisk();
    let failed: { status: number; body: Record<string, unknown> } | undefined;
    for (let i = 1; i <= 40 && failed === undefined; i++) {
      const answer = await append(i);
      if (answer.status !== 201) failed = answer;
    }
    expect(failed?.status).toBe(503);
    expect(failed?.body['error']).toMatchObject({ code: 'STORE_UNAVAILABLE', storage: 'disk full', sqlite: expect.stringMatching(/^SQLITE_FULL/) as unknown });

    const degraded = await health();
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ status: 'degraded', reason: 'disk full' });
    expect(typeof degraded.body['head']).toBe('number');
    expect(Date.parse(String(degraded.body['since']))).toBeGreaterThan(Date.now() - 60_000);
    // another failure of the same kind keeps it degraded
    expect((await append(100)).status).toBe(503);
    expect((await health()).body).toMatchObject({ status: 'degraded', reason: 'disk full' });

    rmSync(filler);
    const recovered = await append(101);
    expect(recovered.status).toBe(201);
    expect((await health()).body).toEqual({ status: 'ready', head: (recovered.body['position'] as number) });
  });
});
