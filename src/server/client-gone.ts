import type { FastifyReply } from 'fastify';

/**
 * Runs `work` with a signal that aborts when the client goes away, so a long
 * poll or a query nobody will read stops. The response's close, not the
 * request's: a request closes as soon as its body has been read.
 */
export async function whileConnected<T>(reply: FastifyReply, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const gone = new AbortController();
  const onClose = () => gone.abort();
  reply.raw.once('close', onClose);
  try {
    return await work(gone.signal);
  } finally {
    reply.raw.off('close', onClose);
  }
}
