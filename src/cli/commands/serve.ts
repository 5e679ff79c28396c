import type { FastifyInstance } from 'fastify';
import { TributaryError, invalidArgument } from '../../core/errors.js';
import { runDeclaredProjections, type DeclaredProjections } from '../../projections/lifecycle/file-projections.js';
import { listenOn } from '../../server/listen.js';
import { overloadLimits } from '../../server/overload.js';
import { buildServer } from '../../server/server.js';
import { integerFlag, portFlag, stringFlag } from '../arguments.js';
import { closeInOrder } from '../close-in-order.js';
import type { Command } from '../context.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 2113;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the HTTP server (append, read, live SSE, consumers, metrics, OpenAPI)',
  usage: `tributary serve [--host H] [--port P] [--log-level L] [--cors-origin O]...
                 [--lake-timeout-ms MS] [--lake-memory-mb MB] [--lake-worker-memory-mb MB] [--lake-max-rows N]
                 [--lake-queries N] [--max-in-flight N] [--max-event-loop-delay-ms MS]
    listens on 127.0.0.1:2113 by default; the API is described at /openapi.json
    POST /lake/query runs each query in a worker process and stops it after --lake-timeout-ms (default 30000),
    lets DuckDB use --lake-memory-mb for it (default 256), kills the worker once it holds more than
    --lake-worker-memory-mb (default the DuckDB memory + 192), answers at most --lake-max-rows rows
    (default 100000; 10000 unless the request asks) and runs --lake-queries at once (default 2, one worker each;
    one more is refused with LAKE_BUSY)
    a saturated server answers 503 OVERLOADED with Retry-After at once instead of queueing: beyond
    --max-in-flight requests at once (default 512; live streams count only until they start), or while its
    event loop runs more than --max-event-loop-delay-ms late (default 1000; 0 turns this off)
    with no token created (tributary tokens create), the server is open to every caller —
    allowed only on a loopback address; on any other address it refuses to start.
    Open mode ends, on every server of the database, within a second of the first token's creation
    --cors-origin lets browser applications of that origin (https://app.example.com) call the API;
    repeat it for several; * (any origin) only in open mode on a loopback address
    a port another process holds fails at once with ADDRESS_IN_USE (exit code 1)
    SIGTERM or SIGINT stops it gracefully: no new requests, in-flight appends finish (5 s at most),
    live streams end, lake query workers stop, consumers and projections stop, then the store closes`,
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    'log-level': { type: 'string' },
    'cors-origin': { type: 'string', multiple: true },
    'lake-timeout-ms': { type: 'string' },
    'lake-memory-mb': { type: 'string' },
    'lake-worker-memory-mb': { type: 'string' },
    'lake-max-rows': { type: 'string' },
    'lake-queries': { type: 'string' },
    'max-in-flight': { type: 'string' },
    'max-event-loop-delay-ms': { type: 'string' },
  },
  async run({ values, positionals, openStore, signal }) {
    if (positionals.length > 0) throw invalidArgument('serve', `takes no arguments, got ${positionals.join(' ')}`);
    const host = stringFlag(values['host']) ?? DEFAULT_HOST;
    const port = portFlag('port', values['port']) ?? DEFAULT_PORT;
    const level = stringFlag(values['log-level']) ?? 'info';
    const lake = {
      timeoutMs: integerFlag('lake-timeout-ms', values['lake-timeout-ms']),
      memoryMb: integerFlag('lake-memory-mb', values['lake-memory-mb']),
      workerMemoryMb: integerFlag('lake-worker-memory-mb', values['lake-worker-memory-mb']),
      maxRows: integerFlag('lake-max-rows', values['lake-max-rows']),
      concurrent: integerFlag('lake-queries', values['lake-queries']),
    };
    const overload = overloadLimits({
      maxInFlight: integerFlag('max-in-flight', values['max-in-flight']),
      maxEventLoopDelayMs: integerFlag('max-event-loop-delay-ms', values['max-event-loop-delay-ms']),
    });
    const store = await openStore();
    let app: FastifyInstance | undefined;
    let projections: DeclaredProjections | undefined;
    try {
      // a revoked token still ends open mode: the database has been given tokens once
      const secured = ((await store.tokens?.list()) ?? []).length > 0;
      if (!secured && !isLoopback(host)) {
        throw new TributaryError(
          'SERVER_NOT_SECURED',
          `refusing to listen on ${host} with no token: anyone who can reach it could read and write every stream. Create one with tributary tokens create, or listen on 127.0.0.1`,
          { host },
        );
      }
      const corsOrigins = (values['cors-origin'] as string[] | undefined) ?? [];
      if (corsOrigins.includes('*') && (secured || !isLoopback(host))) {
        throw invalidArgument('cors-origin', '* (any origin) is allowed only in open mode on a loopback address; name the origins instead');
      }
      const server = await buildServer({ store, open: !secured, corsOrigins, logger: { level }, lake, overload });
      app = server;
      if (!secured) server.log.warn('no tokens exist: open development mode, every caller may read and write everything (tributary tokens create turns tokens on)');
      // listening first: a port that is taken fails before anything else has started
      await listenOn(server, host, port);
      // the projections added from files are hosted here
      if (store.sql !== undefined) projections = await runDeclaredProjections(store, { onError: (error) => server.log.warn({ err: error }, 'projection') });
      await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
      server.log.info('stopping: no new requests; in-flight appends finish; live streams, consumers and projections stop');
    } finally {
      // whatever failed above, everything started stops before the store closes, so no timer outlives it
      await closeInOrder([() => app?.close(), () => projections?.stop(), () => store.close()]);
    }
  },
};

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
