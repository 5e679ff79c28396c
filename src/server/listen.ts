import type { FastifyInstance } from 'fastify';
import { TributaryError } from '../core/errors.js';

/** `app.listen`, with a port another process holds reported as ADDRESS_IN_USE and a hint instead of a bare system error. */
export async function listenOn(app: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EADDRINUSE') throw error;
    throw new TributaryError(
      'ADDRESS_IN_USE',
      `cannot listen on ${host}:${port}: another process already holds it (a server still running?); stop it or pick another --port`,
      { host, port },
      { cause: error },
    );
  }
}
