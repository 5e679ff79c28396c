// The PostgreSQL ordering trial at a larger size than CI runs it:
//   npm run stress:postgres -- [writers] [readers] [seconds]
// Writer processes append (with conflicts, rolled-back transactions and one SIGKILL) while reader
// processes page through the log; every reader must see exactly the committed events, once, in order.
import { throwawayDatabase } from '../test/support/postgres.js';
import { runOrderingTrial } from '../test/postgres/ordering-trial.js';

const [writers = '16', readers = '4', seconds = '30'] = process.argv.slice(2);
const database = await throwawayDatabase();
if (database === undefined) process.exit(1);
try {
  const outcome = await runOrderingTrial({
    url: database.url,
    schema: 'stress',
    writers: Number(writers),
    readers: Number(readers),
    seconds: Number(seconds),
    streams: 200,
  });
  const positions = outcome.committed.map((e) => e.position).join(',');
  const stored = new Set(outcome.committed.map((e) => e.id));
  const failures = [
    ...outcome.readers.map((r, i) => (r.positions.join(',') === positions ? '' : `reader ${i} saw a different sequence`)),
    [...outcome.acked].some((id) => !stored.has(id)) ? 'an acknowledged event is missing' : '',
    [...outcome.ghosts].some((id) => stored.has(id)) ? 'a rolled-back event is stored' : '',
  ].filter(Boolean);
  console.log(
    `${outcome.committed.length} events committed by ${writers} writers in ${seconds} s (one killed mid-run); ` +
      `${outcome.ghosts.size} rolled-back events; ${readers} readers each saw ${outcome.readers.map((r) => r.positions.length).join('/')}`,
  );
  console.log(failures.length === 0 ? 'every reader saw every committed event exactly once, in order' : failures.join('\n'));
  process.exitCode = failures.length === 0 ? 0 : 1;
} finally {
  await database.drop();
}
