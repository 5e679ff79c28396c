import { request, type IncomingMessage } from 'node:http';

export interface SseMessage {
  event: string;
  id?: string;
  data?: string;
  comment?: string;
}

/** A minimal server-sent events client over a real socket, for the tests. */
export class SseClient {
  readonly messages: SseMessage[] = [];
  ended = false;
  status = 0;
  headers: IncomingMessage['headers'] = {};
  #buffer = '';
  #response: IncomingMessage | undefined;
  readonly #waiters: (() => void)[] = [];

  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
        client.#response = response;
        client.status = response.statusCode ?? 0;
        client.headers = response.headers;
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => client.#take(chunk));
        response.on('end', () => {
          client.ended = true;
          client.#wake();
        });
        response.on('error', () => undefined);
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  get events(): { id: string; event: Record<string, unknown> }[] {
    return this.messages.filter((m) => m.event === 'message' && m.data !== undefined).map((m) => ({ id: m.id!, event: JSON.parse(m.data!) as Record<string, unknown> }));
  }

  /** Stops reading from the socket, as a stalled client would. */
  pause(): void {
    this.#response?.pause();
  }

  resume(): void {
    this.#response?.resume();
  }

  close(): void {
    this.#response?.destroy();
  }

  async until(check: (client: SseClient) => boolean, what: string, ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check(this)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}; got ${JSON.stringify(this.messages.slice(-5))}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  #take(chunk: string): void {
    this.#buffer += chunk;
    let end: number;
    while ((end = this.#buffer.indexOf('\n\n')) >= 0) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      const message: SseMessage = { event: 'message' };
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) message.comment = line.slice(1).trim();
        else if (line.startsWith('event: ')) message.event = line.slice(7);
        else if (line.startsWith('id: ')) message.id = line.slice(4);
        else if (line.startsWith('data: ')) message.data = line.slice(6);
      }
      this.messages.push(message);
    }
    this.#wake();
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}
