// The load client of bench/http.ts, in its own process so that it does not share the server's event
// loop: reads one LoadCommand a line on stdin, runs it, answers one LoadResult a line on stdout, and
// exits when stdin closes.
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { percentile, type LoadCommand, type LoadResult } from './http-protocol.js';
import { payload } from './scenarios.js';

/** POSTs `body` and resolves with the status once the whole response has arrived. */
function post(agent: Agent, port: number, path: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', () => resolve(0));
      },
    );
    req.once('error', () => resolve(0));
    req.end(body);
  });
}

async function run(command: LoadCommand): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: command.concurrency });
  // one body per run: building JSON on the client would take CPU from the server on two cores
  const body = JSON.stringify({ events: Array.from({ length: command.batch }, (_, i) => ({ type: 'Deposited', data: payload(i) })) });
  const paths = Array.from({ length: command.streams }, (_, i) => `/streams/bench-${i}`);
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const measureFrom = start + command.warmUpSeconds * 1000;
  const measureUntil = measureFrom + command.seconds * 1000;
  const connection = async () => {
    while (performance.now() < measureUntil) {
      const sent = performance.now();
      const status = await post(agent, command.port, paths[next++ % paths.length]!, body);
      const answered = performance.now();
      if (answered < measureFrom || answered > measureUntil) continue;
      if (status === 201) latencies.push(answered - sent);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, connection));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    events: latencies.length * command.batch,
    seconds: command.seconds,
    errors,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

for await (const line of createInterface({ input: process.stdin })) {
  const result = await run(JSON.parse(line) as LoadCommand);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
