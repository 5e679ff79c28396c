import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { TributaryError } from '../core/errors.js';
import { errorResponse } from './http-errors.js';

// a client that never reads its answer does not hold the socket longer than this
const CLOSE_AFTER_MS = 1_000;

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any
 * route runs (a malformed request line, a bad header byte, two
 * Content-Lengths, headers beyond the size limit, a request that took too
 * long) gets the contract's `{"error": {"code", "message"}}` answer too —
 * `431 REQUEST_HEADERS_TOO_LARGE`, `408 REQUEST_TIMEOUT` or `400
 * INVALID_REQUEST` — and the connection is closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // the parser stays broken: nothing more is read from this connection
  socket.pause();
  if (!socket.writable || responseUnderway(socket)) {
    socket.destroy();
    return;
  }
  const { status, body } = errorResponse(codedClientError(error));
  const text = JSON.stringify(body);
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n`;
  socket.end(head + text, () => socket.destroy());
  setTimeout(() => socket.destroy(), CLOSE_AFTER_MS).unref();
}

/** The coded error for what Node's HTTP server reported. */
export function codedClientError(error: Error & { code?: string }): TributaryError {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return new TributaryError('REQUEST_HEADERS_TOO_LARGE', 'the request line and headers are larger than the server accepts');
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new TributaryError('REQUEST_TIMEOUT', 'the request was not received completely in time');
  }
  return new TributaryError('INVALID_REQUEST', `the request is not valid HTTP: ${error.message}`, { in: 'http', reason: error.code ?? null });
}

// part of an answer already went out on this socket: a second status line would corrupt it
function responseUnderway(socket: Socket): boolean {
  const response = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  return response?.headersSent === true;
}
