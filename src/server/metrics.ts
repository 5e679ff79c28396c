import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventStore } from '../store/event-store.js';
import { consumerStatus, type ConsumerStatus } from '../subscriptions/status.js';

import type { LiveFeeds } from './live-feeds.js';
import { registerMirrorGauges } from './mirror-metrics.js';
import type { SseRegistry } from './sse.js';

const SCRAPE_REUSE_MS = 500;

/** The server's Prometheus metrics, one registry per server so that tests and several servers in one process never mix. */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly appendedEvents = new Counter({ name: 'tributary_appended_events_total', help: 'Events appended over HTTP', registers: [this.registry] });
  readonly appends = new Counter({
    name: 'tributary_appends_total',
    help: 'Append requests, by outcome (the error code, or ok)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly readEvents = new Counter({ name: 'tributary_read_events_total', help: 'Events returned by stream and log reads', registers: [this.registry] });
  readonly schemaWarnings = new Counter({
    name: 'tributary_schema_warnings_total',
    help: "Events stored although they broke their type's schema, in categories whose validation mode is warn",
    labelNames: ['category', 'type'],
    registers: [this.registry],
  });
  readonly requestSeconds = new Histogram({
    name: 'tributary_http_request_duration_seconds',
    help: 'HTTP request latency by route and status (live subscriptions excluded)',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  constructor(store: EventStore, sse: SseRegistry, feeds: LiveFeeds) {
    new Gauge({
      name: 'tributary_live_subscribers',
      help: 'Open server-sent event subscriptions',
      registers: [this.registry],
      collect() {
        this.set(sse.size);
      },
    });
    new Gauge({
      name: 'tributary_live_feeds',
      help: 'Shared readers of the log behind live subscriptions, one per stream or filter followed',
      registers: [this.registry],
      collect() {
        this.set(feeds.size);
      },
    });
    new Gauge({
      name: 'tributary_head_position',
      help: 'The position of the last event in the log',
      registers: [this.registry],
      async collect() {
        this.set(await store.headPosition());
      },
    });
    // one status read serves every consumer gauge of a scrape: prom-client collects them all at once
    let scrape: { at: number; statuses: Promise<ConsumerStatus[]> } | undefined;
    const statuses = () => {
      if (scrape === undefined || scrape.at + SCRAPE_REUSE_MS < Date.now()) scrape = { at: Date.now(), statuses: consumerStatus(store) };
      return scrape.statuses;
    };
    const perConsumer = (name: string, help: string, value: (status: ConsumerStatus) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['consumer'],
        registers: [this.registry],
        async collect() {
          this.reset();
          for (const status of await statuses()) this.set({ consumer: status.name }, value(status));
        },
      });
    perConsumer('tributary_consumer_lag_events', 'Positions between a consumer checkpoint and the head', (status) => status.lagEvents);
    perConsumer('tributary_consumer_lag_seconds', 'Age of the oldest event a consumer has still to handle', (status) => status.lagSeconds);
    perConsumer('tributary_consumer_parked_events', 'Parked events per consumer', (status) => status.parked);
    new Gauge({
      name: 'tributary_consumers',
      help: 'Consumers known to the store, by state',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const status of await statuses()) this.inc({ state: status.state });
      },
    });
    registerMirrorGauges(this.registry, store);
  }
}
