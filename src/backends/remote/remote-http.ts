import { ERROR_CODES, TributaryError, type ErrorCode } from '../../core/errors.js';
import { storeClosed } from '../../store/store-closed.js';

export interface RemoteRequest {
  query?: Record<string, string | number | boolean | readonly string[] | undefined>;
  body?: unknown;
  signal?: AbortSignal;
  /** How long the server may take by design (a long poll); a margin is added. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * JSON over HTTP to a Tributary server, with the server's coded errors turned
 * back into TributaryErrors: a caller cannot tell a remote store's errors from
 * an embedded one's. A server that cannot be reached is STORE_UNAVAILABLE.
 */
export class RemoteHttp {
  readonly #base: string;
  readonly #headers: Record<string, string>;
  #closed = false;

  constructor(url: string, token: string | undefined) {
    this.#base = url.replace(/\/+$/, '');
    this.#headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
  }

  close(): void {
    this.#closed = true;
  }

  async request<T>(method: string, path: string, request: RemoteRequest = {}): Promise<T> {
    if (this.#closed) throw storeClosed();
    const url = this.#base + path + queryString(request.query);
    // a server that stops answering fails the call instead of hanging it; long polls bring their own, longer, bound
    const deadline = AbortSignal.timeout((request.timeoutMs ?? DEFAULT_TIMEOUT_MS) + 5_000);
    const signal = request.signal === undefined ? deadline : AbortSignal.any([request.signal, deadline]);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: request.body === undefined ? this.#headers : { ...this.#headers, 'content-type': 'application/json' },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal,
      });
      text = await response.text();
    } catch (error) {
      if (request.signal?.aborted === true) throw request.signal.reason;
      const reason = deadline.aborted ? 'did not answer in time' : `could not be reached: ${(error as Error).message}`;
      throw new TributaryError('STORE_UNAVAILABLE', `the server at ${this.#base} ${reason}`, { url: this.#base }, { cause: error });
    }
    if (response.ok) return (text === '' ? undefined : JSON.parse(text)) as T;
    throw errorFrom(response.status, text);
  }
}

function queryString(query: RemoteRequest['query']): string {
  if (query === undefined) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value as readonly string[]) search.append(key, item);
    else search.append(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

function errorFrom(status: number, text: string): TributaryError {
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string } & Record<string, unknown> };
    const { code, message, ...details } = error;
    if (code in ERROR_CODES) return new TributaryError(code as ErrorCode, message, details);
  } catch {
    // not the contract's error body: a proxy or another server answered
  }
  return new TributaryError('STORE_UNAVAILABLE', `the server answered ${status}: ${text.slice(0, 200)}`, { status });
}
