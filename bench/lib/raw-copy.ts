// The initial copy's baseline: the rows a copy must write (streams, events, their category and tag index rows,
// the log head) read from the SQLite file with better-sqlite3 and streamed as COPY text into a schema
// Tributary migrated, through psql in a child process, as a hand-made dump and restore would.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import type { Figures } from './interleave.js';
import { rateOf } from './interleave.js';
import { timed } from './measure.js';

const STREAM_COLUMNS = ['stream_id', 'name', 'category', 'last_revision', 'last_position', 'state', 'deleted_before', 'truncate_before', 'max_count', 'max_age', 'custom_metadata'];
const EVENT_COLUMNS = ['position', 'stream_id', 'revision', 'id', 'stream', 'type', 'recorded_at', 'metadata', 'data', 'tags'];
// what is handed to psql at a time; a write waits for the pipe to drain beyond it
const CHUNK_CHARS = 1 << 20;

/** A value as COPY's text format spells it: `\N` for null; backslash, tab, newline and carriage return escaped. */
export function copyText(value: string | number | bigint | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'string' ? value : value.toString();
  return /[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : text;
}

/** A row as one line of COPY text. */
export const copyLine = (row: readonly (string | number | null)[]): string => `${row.map(copyText).join('\t')}\n`;

/**
 * Copies the log of the SQLite file `sqlitePath` into `schema` (already made by Tributary, empty) of the
 * PostgreSQL database at `url`, through `psql -f -`; answers events per second.
 */
export async function rawCopy(sqlitePath: string, url: string, schema: string): Promise<Figures> {
  let events = 0;
  const seconds = await timed(async () => {
    const db = new Database(sqlitePath, { readonly: true });
    const psql = spawn('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    psql.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    // a psql that stopped early closes the pipe; its exit code and message say why
    psql.stdin.on('error', () => undefined);
    const exited = once(psql, 'exit') as Promise<[number | null]>;
    let chunk = '';
    const write = async (text: string) => {
      chunk += text;
      if (chunk.length < CHUNK_CHARS) return;
      const full = chunk;
      chunk = '';
      if (!psql.stdin.write(full)) await Promise.race([once(psql.stdin, 'drain'), exited]);
    };
    try {
      const categoryOf = new Map<number, string>();
      await write(`COPY ${schema}.streams (${STREAM_COLUMNS.join(', ')}) FROM STDIN;\n`);
      for (const row of db.prepare(`SELECT ${STREAM_COLUMNS.join(', ')} FROM streams ORDER BY stream_id`).raw().iterate() as Iterable<(string | number | null)[]>) {
        categoryOf.set(row[0] as number, row[2] as string);
        await write(copyLine(row));
      }
      await write('\\.\n');
      // the index rows are gathered while the events go, and follow them
      const categories: string[] = [];
      const tags: string[] = [];
      let head = 0;
      await write(`COPY ${schema}.events (${EVENT_COLUMNS.join(', ')}) FROM STDIN;\n`);
      for (const row of db.prepare(`SELECT ${EVENT_COLUMNS.join(', ')} FROM events ORDER BY position`).raw().iterate() as Iterable<(string | number | null)[]>) {
        const position = row[0] as number;
        categories.push(`${copyText(categoryOf.get(row[1] as number))}\t${position}\n`);
        if (row[9] !== null) for (const tag of JSON.parse(row[9] as string) as string[]) tags.push(`${copyText(tag)}\t${position}\n`);
        await write(copyLine(row));
        head = position;
        events++;
      }
      await write('\\.\n');
      await write(`COPY ${schema}.event_categories (category, position) FROM STDIN;\n`);
      for (const line of categories) await write(line);
      await write('\\.\n');
      await write(`COPY ${schema}.event_tags (tag, position) FROM STDIN;\n`);
      for (const line of tags) await write(line);
      await write('\\.\n');
      await write(`UPDATE ${schema}.log_head SET last_position = ${head};\n`);
      await write(`SELECT setval(pg_get_serial_sequence('${schema}.streams', 'stream_id'), (SELECT max(stream_id) FROM ${schema}.streams));\n`);
      psql.stdin.end(chunk);
      const [code] = await exited;
      if (code !== 0) throw new Error(`psql exited with ${code}: ${errors.trim()}`);
    } finally {
      db.close();
      if (psql.exitCode === null) psql.kill();
    }
  });
  return rateOf({ events, seconds });
}
