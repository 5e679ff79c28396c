import type { Writable } from 'node:stream';
import { TributaryError } from '../core/errors.js';

/** Writes text, waiting for the stream to drain when its buffer is full, so huge listings stay in bounded memory. */
export async function write(out: Writable, text: string): Promise<void> {
  if (out.write(text)) return;
  await new Promise<void>((resolve) => {
    // a stream that closes or fails never drains: stop waiting for it
    const done = () => {
      out.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    out.once('drain', done).once('close', done).once('error', done);
  });
}

/** The one stderr line for a failed command: the code, the message, and the facts as JSON. */
export function errorLine(error: unknown): string {
  if (error instanceof TributaryError) {
    const facts = Object.keys(error.details).length === 0 ? '' : ' ' + JSON.stringify(error.details);
    return `tributary: ${error.code}: ${error.message}${facts}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `tributary: INTERNAL: ${message.split('\n')[0]}`;
}
