// Appends `count` single events, one call at a time, from its own process, then exits.
import { openStore } from '../../src/open/open-store.js';

const { location, count, streams } = JSON.parse(process.argv[2]!) as { location: string; count: number; streams: number };
const store = await openStore(location);
for (let i = 0; i < count; i++) await store.append(`live-${i % streams}`, [{ type: 'Appended', data: { i } }]);
await store.close();
