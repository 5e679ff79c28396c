import { connect, createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { answerClientError } from '../../src/server/client-errors.js';
import { listening, withServer } from './support.js';

interface RawAnswer {
  status: number;
  headers: string;
  body: unknown;
  /** True when the server closed the connection after answering. */
  closed: boolean;
}

/** Sends raw bytes and reads until the server closes the connection. */
function exchange(port: number, request: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 5 s; got ${Buffer.concat(chunks).toString()}`));
    }, 5_000);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // the server may close before reading everything sent: that is a reset here, not a failure
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1] ?? 0), headers: head, body: body === '' ? undefined : (JSON.parse(body) as unknown), closed: true });
    });
    socket.write(request);
  });
}

describe("Node's HTTP parser errors answer in the contract's shape", () => {
  it('duplicate Content-Length, a bad header byte, a malformed request line: 400 INVALID_REQUEST; 20 KB of headers: 431', async () => {
    await withServer({}, async ({ app, store }) => {
      const url = await listening(app);
      const port = Number(new URL(url).port);
      const cases: [string, string | Buffer, number, string][] = [
        [
          'two Content-Lengths',
          'POST /streams/order-1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}',
          400,
          'INVALID_REQUEST',
        ],
        ['a control byte in a header value', Buffer.from('GET /all HTTP/1.1\r\nHost: x\r\nX-Odd: a\x01b\r\n\r\n', 'latin1'), 400, 'INVALID_REQUEST'],
        ['a space in a header name', 'GET /all HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n', 400, 'INVALID_REQUEST'],
        ['a malformed request line', 'THIS IS NOT HTTP\r\n\r\n', 400, 'INVALID_REQUEST'],
        ['an unknown HTTP version', 'GET /all HTTP/9.9\r\nHost: x\r\n\r\n', 400, 'INVALID_REQUEST'],
        ['20 KB of headers', `GET /all HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, 431, 'REQUEST_HEADERS_TOO_LARGE'],
      ];
      for (const [label, request, status, code] of cases) {
        const answer = await exchange(port, request);
        expect([label, answer.status, answer.body]).toEqual([label, status, { error: { code, message: expect.any(String) as unknown, ...(code === 'INVALID_REQUEST' ? { in: 'http', reason: expect.stringMatching(/^HPE_/) as unknown } : {}) } }]);
        expect(answer.headers).toMatch(/\r\ncontent-type: application\/json; charset=utf-8\r\n/i);
        expect(answer.headers).toMatch(/\r\nconnection: close/i);
        expect(answer.closed).toBe(true);
      }
      // the server still answers well-formed requests, and nothing was stored
      expect((await fetch(`${url}/all`)).status).toBe(200);
      expect(await store.headPosition()).toBe(0);
    });
  });

  it('a request timeout answers 408 REQUEST_TIMEOUT and closes the connection', async () => {
    // Node checks request timeouts every 30 s, too slow for a test: the handler gets the error Node would give
    const server = createServer((socket: Socket) => answerClientError(Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await exchange((server.address() as { port: number }).port, 'GET /all HTTP/1.1\r\nHost: x\r\n');
      expect([answer.status, answer.body]).toEqual([408, { error: { code: 'REQUEST_TIMEOUT', message: expect.any(String) as unknown } }]);
      expect(answer.closed).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('writes nothing on a connection the client reset', () => {
    const writes: unknown[] = [];
    const socket = { destroyed: false, writable: true, pause: () => undefined, destroy: () => undefined, end: (data: unknown) => writes.push(data) } as unknown as Socket;
    answerClientError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }), socket);
    expect(writes).toEqual([]);
    answerClientError(Object.assign(new Error('bad'), { code: 'HPE_INVALID_METHOD' }), socket);
    expect(writes).toHaveLength(1);
  });
});
