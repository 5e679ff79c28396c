import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll } from 'vitest';
import { openSqliteStore } from '../../src/backends/sqlite/sqlite-store.js';
import type { EventStore } from '../../src/store/event-store.js';
import { buildServer, type ServerOptions } from '../../src/server/server.js';
import { mintToken } from '../../src/server/tokens.js';

const folder = mkdtempSync(join(tmpdir(), 'tributary-server-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
let files = 0;

export interface TestServer {
  app: FastifyInstance;
  store: EventStore;
  /** Mints a token with these scopes in the server's store and returns its Authorization header. */
  token: (...scopes: string[]) => Promise<{ authorization: string }>;
  /** The same, for a token called `name`: what the server records as the producer of its appends. */
  namedToken: (name: string, ...scopes: string[]) => Promise<{ authorization: string }>;
}

/** Listens on a free loopback port; answers the base URL. */
export async function listening(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}

/** A server on a fresh SQLite store for one test; both are closed afterwards. */
export async function withServer<T>(options: Partial<ServerOptions>, body: (server: TestServer) => Promise<T>): Promise<T> {
  const store = options.store ?? openSqliteStore({ path: join(folder, `server-${files++}.db`) });
  const app = await buildServer({ open: true, ...options, store });
  const namedToken = async (name: string, ...scopes: string[]) => {
    const { token, record } = mintToken(name, scopes);
    await store.tokens!.create(record);
    return { authorization: `Bearer ${token}` };
  };
  try {
    return await body({ app, store, token: (...scopes) => namedToken(`test ${scopes.join(' ')}`, ...scopes), namedToken });
  } finally {
    await app.close();
    await store.close();
  }
}
