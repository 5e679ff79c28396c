// The whole-log copies into PostgreSQL the mirror benchmark times, each into a fresh schema of its own that
// Tributary made before the clock starts, checked to hold the whole log after it stops, and dropped after.
import pg from 'pg';
import { openStore } from '../../src/open/open-store.js';
import { restoreBackup } from '../../src/backup/restore-backup.js';
import { mirrorLog } from '../../src/mirror/mirror-log.js';
import type { EventStore } from '../../src/store/event-store.js';
import { rateOf, type Figures } from './interleave.js';
import { timed } from './measure.js';
import { rawCopy } from './raw-copy.js';

/** Fresh schemas of one PostgreSQL database, named `<prefix>_<n>`. */
export class FreshSchemas {
  readonly #url: string;
  #made = 0;

  constructor(url: string) {
    this.#url = url;
  }

  get url(): string {
    return this.#url;
  }

  /** A schema name not used before, and the store location of it. */
  next(prefix: string): { schema: string; location: string } {
    const schema = `${prefix}_${this.#made++}`;
    return { schema, location: `${this.#url}?schema=${schema}` };
  }

  async drop(schema: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.#url });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  }
}

/** Runs `copy` (answering its seconds) into a fresh schema; checks the copy's head is `head`; drops the schema. */
async function intoFreshSchema(schemas: FreshSchemas, head: number, copy: (location: string, schema: string) => Promise<number>): Promise<Figures> {
  const { schema, location } = schemas.next('copy');
  try {
    const seconds = await copy(location, schema);
    // a figure of a copy that is not whole would mean nothing
    const check = await openStore(location);
    const copied = await check.headPosition().finally(() => check.close());
    if (copied !== head) throw new Error(`the copy into ${schema} reached position ${copied}, not the source's ${head}`);
    return rateOf({ events: head, seconds });
  } finally {
    await schemas.drop(schema);
  }
}

/** Times `copy` into the store at `location`, opened (and so migrated) before the clock starts. */
async function intoStore(location: string, copy: (target: EventStore) => Promise<unknown>): Promise<number> {
  const target = await openStore(location);
  try {
    return await timed(() => copy(target));
  } finally {
    await target.close();
  }
}

/** `mirrorLog(source, target, { follow: false })`: the initial copy of a mirror. */
export const mirrorCopy = (source: EventStore, schemas: FreshSchemas, head: number): Promise<Figures> =>
  intoFreshSchema(schemas, head, (location) => intoStore(location, (target) => mirrorLog(source, target, { follow: false })));

/** `restoreBackup(file, target)`, the file's check included, as a restore runs. */
export const restoreCopy = (file: string, schemas: FreshSchemas, head: number): Promise<Figures> =>
  intoFreshSchema(schemas, head, (location) => intoStore(location, (target) => restoreBackup(file, target)));

/** The raw COPY baseline: the schema made by Tributary (a store opened on it and closed), then psql writes the rows. */
export const rawCopyInto = (sqlitePath: string, schemas: FreshSchemas, head: number): Promise<Figures> =>
  intoFreshSchema(schemas, head, async (location, schema) => {
    await (await openStore(location)).close();
    return (await rawCopy(sqlitePath, schemas.url, schema))['seconds']!;
  });
