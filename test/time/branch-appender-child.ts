// An appender to one branch in its own process, for the test that concurrent appends keep a branch's revisions contiguous:
// it appends `count` events to order-1 on the branch, each under the revision it last read, retrying when another writer got there first.
import { openStore } from '../../src/open/open-store.js';

const { location, branch, writer, count } = JSON.parse(process.argv[2]!) as { location: string; branch: string; writer: number; count: number };
const store = await openStore(location);
const view = store.branch!(branch);
for (let i = 0; i < count; i++) {
  for (;;) {
    const { lastRevision } = await view.streamInfo('order-1');
    const appended = await view.append('order-1', [{ type: 'Placed', data: { writer, i } }], { expectedRevision: lastRevision }).then(
      () => true,
      (error: { code?: string }) => {
        if (error.code === 'WRONG_EXPECTED_REVISION' || error.code === 'STORE_BUSY') return false;
        throw error;
      },
    );
    if (appended) break;
  }
}
await store.close();
process.stdout.write('done\n');
