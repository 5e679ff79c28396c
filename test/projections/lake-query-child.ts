// A process that runs one lake query (argv[2], with the options in argv[3]) on the default slots: it prints its worker's
// pid once forked, then the answer, and ends without closing anything. The test kills it mid-query, or watches it exit
// on its own once answered.
import { queryLake } from '../../src/projections/sinks/lake-query.js';
import { PROCESS_LAKE_SLOTS } from '../../src/projections/sinks/lake-slots.js';

const print = (line: object) => process.stdout.write(JSON.stringify(line) + '\n');
const answer = queryLake([], process.argv[2]!, JSON.parse(process.argv[3] ?? '{}') as object);
while (PROCESS_LAKE_SLOTS.pids.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
print({ worker: PROCESS_LAKE_SLOTS.pids[0] });
print({ rows: (await answer).rows });
