import pg from 'pg';
import { storeClosed } from '../../store/store-closed.js';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;

/** The payload that says a consumer group changed, before the group's name; the log's payloads are head positions, digits only. */
export const GROUP_PAYLOAD = 'group:';

/** What the listener reports: each committed head position, each changed group, and a reconnect. */
export interface ListenerReports {
  head(head: number): void;
  group(consumer: string): void;
  /** Notifications sent while the listener was away are lost: heads and groups must be looked at again. */
  reconnected(): void;
}

/**
 * A dedicated connection that LISTENs on the store's channel and reports every
 * committed head position and every changed consumer group, so waiting for
 * events and for a group's changes needs no polling. It reconnects with
 * backoff after a drop and then reports it, because notifications sent while
 * it was away are lost.
 */
export class PostgresListener {
  readonly #config: pg.ClientConfig;
  readonly #channel: string;
  readonly #reports: ListenerReports;
  #client: pg.Client | undefined;
  #ready: Promise<void> | undefined;
  #retryMs = RETRY_MIN_MS;
  #retryTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(config: pg.ClientConfig, channel: string, reports: ListenerReports) {
    this.#config = config;
    this.#channel = channel;
    this.#reports = reports;
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
      const payload = message.payload;
      if (message.channel !== this.#channel || payload === undefined) return;
      if (payload.startsWith(GROUP_PAYLOAD)) this.#reports.group(payload.slice(GROUP_PAYLOAD.length));
      else this.#reports.head(Number(payload));
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
        () => this.#reports.reconnected(),
        () => undefined,
      );
    }, this.#retryMs);
    this.#retryTimer.unref();
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
  }
}
