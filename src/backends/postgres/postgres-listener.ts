import pg from 'pg';
import { storeClosed } from '../../store/store-closed.js';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;

/**
 * A dedicated connection that LISTENs on the store's channel and reports every
 * committed head position, so waiting for events needs no polling. It
 * reconnects with backoff after a drop and then calls `onReconnect`, because
 * notifications sent while it was away are lost and the head must be re-read.
 */
export class PostgresListener {
  readonly #config: pg.ClientConfig;
  readonly #channel: string;
  readonly #onHead: (head: number) => void;
  readonly #onReconnect: () => void;
  #client: pg.Client | undefined;
  #ready: Promise<void> | undefined;
  #retryMs = RETRY_MIN_MS;
  #retryTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(config: pg.ClientConfig, channel: string, onHead: (head: number) => void, onReconnect: () => void) {
    this.#config = config;
    this.#channel = channel;
    this.#onHead = onHead;
    this.#onReconnect = onReconnect;
  }

  /** Connects and listens, once; later calls share the first attempt. */
  start(): Promise<void> {
    this.#ready ??= this.#connect();
    return this.#ready;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    await this.#client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const client = new pg.Client(this.#config);
    client.on('notification', (message) => {
      if (message.channel === this.#channel && message.payload !== undefined) this.#onHead(Number(message.payload));
    });
    client.on('error', () => this.#reconnectLater(client));
    client.on('end', () => this.#reconnectLater(client));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#channel}"`);
    } catch (error) {
      this.#reconnectLater(client);
      throw error;
    }
    if (this.#stopped) {
      // stopped while connecting: this connection must not outlive the store
      await client.end().catch(() => undefined);
      throw storeClosed();
    }
    this.#client = client;
    this.#retryMs = RETRY_MIN_MS;
  }

  #reconnectLater(client: pg.Client): void {
    if (this.#stopped || this.#retryTimer !== undefined || (this.#client !== undefined && this.#client !== client)) return;
    this.#client = undefined;
    client.end().catch(() => undefined);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#ready = this.#connect().then(
        () => this.#onReconnect(),
        () => undefined,
      );
    }, this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
  }
}
