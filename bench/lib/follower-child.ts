// A process that follows a live source for the lag benchmark, until SIGTERM. `mirror`: mirrorLog into the
// target (the benchmark watches the target itself). `subscribe`: a plain live subscription on the source,
// printing "<position> <time seen>" per event. Either prints "ready" once it follows.
import { openStore } from '../../src/open/open-store.js';
import { mirrorLog } from '../../src/mirror/mirror-log.js';
import { subscribeToAll } from '../../src/subscriptions/log-subscription.js';

const follower = JSON.parse(process.argv[2]!) as { mode: 'mirror'; source: string; target: string } | { mode: 'subscribe'; source: string };
const now = () => performance.timeOrigin + performance.now();
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());

const from = await openStore(follower.source);
if (follower.mode === 'mirror') {
  const into = await openStore(follower.target);
  let ready = false;
  await mirrorLog(from, into, {
    signal: stop.signal,
    onProgress: ({ phase }) => {
      if (phase === 'following' && !ready) process.stdout.write('ready\n');
      ready ||= phase === 'following';
    },
  });
  await into.close();
} else {
  const head = await from.headPosition();
  for await (const message of subscribeToAll(from, { after: head, signal: stop.signal })) {
    if (message.kind === 'caught-up') process.stdout.write('ready\n');
    else process.stdout.write(`${message.event.position} ${now()}\n`);
  }
}
await from.close();
