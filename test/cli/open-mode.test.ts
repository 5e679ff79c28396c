import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { throwawayDatabase } from '../support/postgres.js';
import { cli, freePort, serve, stop, type ServeProcess } from '../support/serve-process.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-open-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const read = (server: ServeProcess, headers: Record<string, string> = {}) => fetch(`${server.url}/all`, { headers });

/** Polls until an unauthenticated read is refused; the time it took. */
async function closedWithin(server: ServeProcess, ms: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if ((await read(server)).status === 401) return Date.now() - started;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`${server.url} still answers without a token after ${ms} ms`);
}

/** Servers started open on `db`; a token created by another process closes every one of them within a second. */
async function openUntilATokenExists(db: string, servers: number): Promise<void> {
  const running: ServeProcess[] = [];
  try {
    for (let i = 0; i < servers; i++) running.push(await serve(['--port', String(await freePort()), '--db', db]));
    for (const server of running) expect((await read(server)).status).toBe(200);
    const created = cli(['tokens', 'create', '--name', 'first', '--scope', 'admin', '--json'], db);
    expect(created.code, created.stderr).toBe(0);
    const { token } = JSON.parse(created.stdout) as { token: string };
    for (const server of running) {
      // noticed within a second, plus the time of one poll
      expect(await closedWithin(server, 1_500)).toBeLessThan(1_500);
      expect((await read(server, { authorization: `Bearer ${token}` })).status).toBe(200);
      // a revoked token does not open it again: the database has been given tokens
      expect((await fetch(`${server.url}/streams/order-1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"events":[{"type":"T","data":{}}]}' })).status).toBe(401);
    }
  } finally {
    for (const server of running) await stop(server.child);
  }
}

describe('open mode ends everywhere the moment a token exists', () => {
  it('a running server on SQLite refuses unauthenticated requests once another process creates a token', async () => {
    await openUntilATokenExists(join(folder, 'open.db'), 1);
  });

  it('every server on one PostgreSQL database refuses unauthenticated requests once another process creates a token', async () => {
    const database = await throwawayDatabase();
    if (database === undefined) return;
    try {
      await openUntilATokenExists(database.url, 2);
    } finally {
      await database.drop();
    }
  });

  it('allows any origin (--cors-origin *) only in open mode on a loopback address', async () => {
    const db = join(folder, 'cors.db');
    const open = await serve(['--port', String(await freePort()), '--db', db, '--cors-origin', '*']);
    try {
      const answer = await fetch(`${open.url}/all`, { headers: { origin: 'https://anywhere.example' } });
      expect(answer.headers.get('access-control-allow-origin')).toBe('*');
    } finally {
      await stop(open.child);
    }
    expect(cli(['tokens', 'create', '--name', 'first', '--scope', 'admin'], db).code).toBe(0);
    expect(cli(['serve', '--host', '0.0.0.0', '--port', String(await freePort()), '--cors-origin', '*'], db)).toMatchObject({ code: 2 });
    const secured = cli(['serve', '--port', String(await freePort()), '--cors-origin', '*'], db);
    expect(secured.code).toBe(2);
    expect(secured.stderr).toContain('cors-origin');
    expect(cli(['serve', '--port', String(await freePort()), '--cors-origin', 'app.example.com'], db).code).toBe(2);
  });
});
