import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import { cli, freePort, serve as serveWith, stop } from '../support/serve-process.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-serve-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let databases = 0;
const freshDb = () => join(folder, `serve-${databases++}.db`);

const serve = (db: string, port: number) => serveWith(['--port', String(port), '--db', db]);
const logged = (server: { logs: { msg?: string }[] }) => server.logs.map((line) => line.msg ?? '').join('\n');

const append = (port: number, stream: string, headers: Record<string, string> = {}) =>
  fetch(`http://127.0.0.1:${port}/streams/${stream}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ events: [{ type: 'Placed', data: { stream } }] }),
  });

describe('tributary serve and tokens', () => {
  it('refuses to listen beyond loopback without a token, and says why', () => {
    const result = cli(['serve', '--host', '0.0.0.0', '--port', '1'], freshDb());
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('SERVER_NOT_SECURED');
    expect(result.stderr).toContain('tributary tokens create');
  });

  it('runs open on loopback with a warning; once a token exists it requires one; a revoked token is refused', async () => {
    const db = freshDb();
    const port = await freePort();
    const open = await serve(db, port);
    expect(logged(open)).toContain('open development mode');
    expect((await append(port, 'order-1')).status).toBe(201);
    expect(await stop(open.child)).toBe(0);

    const created = JSON.parse(cli(['tokens', 'create', '--name', 'orders team', '--scope', 'write:order', '--json'], db).stdout) as { id: string; token: string };
    expect(created.token).toMatch(/^trb_[0-9a-f]{12}\./);
    expect(cli(['tokens', 'list'], db).stdout).toBe(`${created.id}\torders team\twrite:order\tactive\n`);
    expect(cli(['tokens', 'create', '--name', 'x', '--scope', 'delete:everything'], db).code).toBe(2);

    const secured = await serve(db, port);
    try {
      expect(logged(secured)).not.toContain('open development mode');
      expect((await append(port, 'order-2')).status).toBe(401);
      const authorization = { authorization: `Bearer ${created.token}` };
      expect((await append(port, 'order-2', authorization)).status).toBe(201);
      expect((await append(port, 'stock-1', authorization)).status).toBe(403);
      expect(cli(['tokens', 'revoke', created.id], db).stdout).toBe(`revoked ${created.id}\n`);
      await new Promise((done) => setTimeout(done, 1_100));
      expect((await append(port, 'order-3', authorization)).status).toBe(401);
    } finally {
      await stop(secured.child);
    }
  });

  it('stops gracefully on SIGTERM: every append it acknowledged is stored', async () => {
    const db = freshDb();
    const port = await freePort();
    const { child } = await serve(db, port);
    const acknowledged: string[] = [];
    let refused = false;
    // eight callers append one after another until the server goes away, so appends are in flight at the SIGTERM
    const callers = Array.from({ length: 8 }, async (_, caller) => {
      for (let i = 0; !refused; i++) {
        const stream = `order-${caller}x${i}`;
        try {
          const response = await append(port, stream);
          if (response.status === 201) acknowledged.push(stream);
          else refused = true;
        } catch {
          // refused once the server stopped listening: not acknowledged, so nothing is promised
          refused = true;
        }
      }
    });
    while (acknowledged.length < 20) await new Promise((done) => setTimeout(done, 2));
    expect(await stop(child)).toBe(0);
    await Promise.all(callers);
    expect(acknowledged.length).toBeGreaterThan(0);
    const store = openSqliteStore({ path: db });
    try {
      const stored = new Set((await store.readAll({ limit: 1000 })).events.map((event) => event.stream));
      expect(acknowledged.filter((stream) => !stored.has(stream))).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('--max-in-flight bounds the requests it holds: one more is answered 503 OVERLOADED with Retry-After; a bad value is refused before it starts', async () => {
    const refused = cli(['serve', '--port', '0', '--max-in-flight', '0'], freshDb());
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('INVALID_ARGUMENT');
    expect(refused.stderr).toContain('maxInFlight');
    expect(cli(['serve', '--port', '0', '--max-event-loop-delay-ms', 'soon'], freshDb()).stderr).toContain('INVALID_ARGUMENT');

    const port = await freePort();
    const server = await serveWith(['--port', String(port), '--db', freshDb(), '--max-in-flight', '1', '--max-event-loop-delay-ms', '0']);
    try {
      // an append whose body is half sent stays in flight
      const held = httpRequest(`http://127.0.0.1:${port}/streams/order-1`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000' } });
      held.on('error', () => undefined);
      held.write('{"events"');
      await expect.poll(async () => (await append(port, 'order-2')).status, { timeout: 10_000 }).toBe(503);
      const overloaded = await append(port, 'order-2');
      expect(overloaded.headers.get('retry-after')).toBe('1');
      expect(((await overloaded.json()) as { error: { code: string } }).error.code).toBe('OVERLOADED');
      held.destroy();
      await expect.poll(async () => (await append(port, 'order-2')).status, { timeout: 10_000 }).toBe(201);
    } finally {
      await stop(server.child);
    }
  });
});
