import type { FastifyInstance } from 'fastify';

/** How long a closing server waits for in-flight requests before dropping their connections. */
const CLOSE_GRACE_MS = 5_000;

/**
 * What `app.close()` does, in order: live streams end (the API's own preClose
 * hook, which runs after this one, ends them: they never would by
 * themselves); requests in flight, appends above all, finish and are answered
 * with `Connection: close`; then every connection is dropped, idle keep-alive
 * ones included, so the close never waits on a client that keeps its socket.
 * A request still running after the grace period loses its connection.
 */
export function closeGracefully(app: FastifyInstance): void {
  let closing = false;
  let inFlight = 0;
  let deadline: NodeJS.Timeout | undefined;
  const dropConnectionsWhenDone = () => {
    if (closing && inFlight === 0) app.server.closeAllConnections();
  };
  // callback hooks, not async ones: they run on every request, and a promise per hook is measurable
  app.addHook('onRequest', (_request, reply, done) => {
    inFlight++;
    let counted = true;
    // finished, or its client went away: whichever the response reports first ends it
    const ended = () => {
      if (!counted) return;
      counted = false;
      inFlight--;
      dropConnectionsWhenDone();
    };
    reply.raw.once('finish', ended).once('close', ended);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('preClose', async () => {
    closing = true;
    dropConnectionsWhenDone();
    deadline = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
  });
  app.addHook('onClose', async () => clearTimeout(deadline));
}
