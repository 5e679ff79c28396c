// The SSE subscribers of bench/http.ts, all in this one process so that 100 parsers do not share the
// server's event loop. Opens `subscribers` connections to /all/subscribe?after=<after>, prints an
// SseReady line once each has seen `caught-up`, and records now − data.sentAt of every event.
// Events with data.warmUp are checked but not timed or counted. It prints an SseResult line and
// exits when every subscriber has received `events` timed events, or 10 s after a line on stdin
// tells it the appender has finished.
import { request, type ClientRequest } from 'node:http';
import { createInterface } from 'node:readline';
import { now, percentile, type SseConfig, type SseReady, type SseResult } from './http-protocol.js';

const config = JSON.parse(process.argv[2]!) as SseConfig;
const GRACE_MS = 10_000;

interface Subscriber {
  request: ClientRequest;
  caughtUp: boolean;
  received: number;
  lastPosition: number;
  faulty: boolean;
}

const latencies = new Float64Array(config.subscribers * config.events);
let recorded = 0;
let caughtUp = 0;
let complete = 0;
const started = performance.now();
let reportReady!: () => void;
const ready = new Promise<void>((resolve) => (reportReady = resolve));
let finish!: () => void;
const finished = new Promise<void>((resolve) => (finish = resolve));

/** One SSE message: its `event:` name (undefined for a plain event) and its `data:` text. */
function handle(subscriber: Subscriber, message: string): void {
  let name: string | undefined;
  let data = '';
  for (const line of message.split('\n')) {
    if (line.startsWith(':')) continue; // heartbeat comment
    if (line.startsWith('event: ')) name = line.slice(7);
    else if (line.startsWith('data: ')) data += line.slice(6);
  }
  if (name === 'caught-up') {
    if (subscriber.caughtUp) return;
    subscriber.caughtUp = true;
    if (++caughtUp === config.subscribers) reportReady();
    return;
  }
  if (name === 'error') {
    subscriber.faulty = true;
    return;
  }
  if (name !== undefined || data === '') return; // retry: and comment-only messages
  const event = JSON.parse(data) as { position: number; data: { sentAt: number; warmUp?: boolean } };
  const latency = now() - event.data.sentAt;
  if (event.position <= subscriber.lastPosition) subscriber.faulty = true;
  subscriber.lastPosition = event.position;
  if (event.data.warmUp === true) return;
  if (recorded < latencies.length) latencies[recorded++] = latency;
  if (++subscriber.received === config.events && ++complete === config.subscribers) finish();
}

function subscribe(): Subscriber {
  const req = request({ host: '127.0.0.1', port: config.port, path: `/all/subscribe?after=${config.after}`, agent: false });
  const subscriber: Subscriber = { request: req, caughtUp: false, received: 0, lastPosition: config.after, faulty: false };
  req.once('response', (res) => {
    if (res.statusCode !== 200) subscriber.faulty = true;
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        handle(subscriber, buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    });
    res.once('close', () => {
      if (subscriber.received < config.events) subscriber.faulty = true;
    });
  });
  req.once('error', () => (subscriber.faulty = true));
  req.end();
  return subscriber;
}

const subscribers = Array.from({ length: config.subscribers }, subscribe);
await ready;
process.stdout.write(`${JSON.stringify({ ready: true, connectMs: performance.now() - started } satisfies SseReady)}\n`);

let grace: NodeJS.Timeout | undefined;
const lines = createInterface({ input: process.stdin });
// a line from the parent, or its end, starts the grace period
const startGrace = () => (grace ??= setTimeout(finish, GRACE_MS));
lines.once('line', startGrace);
lines.once('close', startGrace);
await finished;
clearTimeout(grace);
lines.close();

const sorted = latencies.subarray(0, recorded).sort();
const counts = subscribers.map((s) => s.received);
const result: SseResult = {
  minReceived: Math.min(...counts),
  maxReceived: Math.max(...counts),
  totalReceived: counts.reduce((sum, n) => sum + n, 0),
  faulty: subscribers.filter((s) => s.faulty).length,
  p50: percentile(sorted, 0.5),
  p99: percentile(sorted, 0.99),
  max: percentile(sorted, 1),
};
for (const subscriber of subscribers) subscriber.request.destroy();
// the result is the last word: exit once it is written, whatever handle the sockets' teardown still holds
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
