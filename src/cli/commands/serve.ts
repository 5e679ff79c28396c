import { TributaryError, invalidArgument } from '../../core/errors.js';
import { runDeclaredProjections } from '../../projections/declared.js';
import { buildServer } from '../../server/server.js';
import { integerFlag, stringFlag } from '../arguments.js';
import type { Command } from '../context.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 2113;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the HTTP server (append, read, live SSE, consumers, metrics, OpenAPI)',
  usage: `tributary serve [--host H] [--port P] [--log-level L]
                 [--lake-timeout-ms MS] [--lake-memory-mb MB] [--lake-max-rows N] [--lake-queries N]
    listens on 127.0.0.1:2113 by default; the API is described at /openapi.json
    POST /lake/query stops a query after --lake-timeout-ms (default 30000), lets DuckDB use --lake-memory-mb
    for it (default 256), answers at most --lake-max-rows rows (default 100000; 10000 unless the request asks)
    and runs --lake-queries at once (default 2; one more is refused with LAKE_BUSY)
    with no token created (tributary tokens create), the server is open to every caller —
    allowed only on a loopback address; on any other address it refuses to start
    SIGTERM or SIGINT stops it gracefully: no new requests, in-flight appends finish, live streams end`,
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    'log-level': { type: 'string' },
    'lake-timeout-ms': { type: 'string' },
    'lake-memory-mb': { type: 'string' },
    'lake-max-rows': { type: 'string' },
    'lake-queries': { type: 'string' },
  },
  async run({ values, positionals, openStore, signal }) {
    if (positionals.length > 0) throw invalidArgument('serve', `takes no arguments, got ${positionals.join(' ')}`);
    const host = stringFlag(values['host']) ?? DEFAULT_HOST;
    const port = integerFlag('port', values['port']) ?? DEFAULT_PORT;
    const level = stringFlag(values['log-level']) ?? 'info';
    const lake = {
      timeoutMs: integerFlag('lake-timeout-ms', values['lake-timeout-ms']),
      memoryMb: integerFlag('lake-memory-mb', values['lake-memory-mb']),
      maxRows: integerFlag('lake-max-rows', values['lake-max-rows']),
      concurrent: integerFlag('lake-queries', values['lake-queries']),
    };
    const store = await openStore();
    try {
      const tokens = (await store.tokens?.list()) ?? [];
      const secured = tokens.some((token) => token.revokedAt === null);
      if (!secured && !isLoopback(host)) {
        throw new TributaryError(
          'SERVER_NOT_SECURED',
          `refusing to listen on ${host} with no token: anyone who can reach it could read and write every stream. Create one with tributary tokens create, or listen on 127.0.0.1`,
          { host },
        );
      }
      const app = await buildServer({ store, open: !secured, logger: { level }, lake });
      if (!secured) app.log.warn('no tokens exist: open development mode, every caller may read and write everything (tributary tokens create turns tokens on)');
      // the projections added from files are hosted here
      const projections = store.sql === undefined ? undefined : await runDeclaredProjections(store, { onError: (error) => app.log.warn({ err: error }, 'projection') });
      await app.listen({ host, port });
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
      app.log.info('stopping: no new requests; in-flight appends finish; live streams end');
      await app.close();
      await projections?.stop();
    } finally {
      await store.close();
    }
  },
};

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
