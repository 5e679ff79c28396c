import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postgresDialect } from '../../src/backends/postgres/postgres-dialect.js';
import { sqliteDialect } from '../../src/backends/sqlite/sqlite-dialect.js';
import { documentsSql, type Json } from '../../src/projections/sinks/documents-sql.js';
import { searchSql } from '../../src/projections/sinks/search-sql.js';
import type { SqlTransaction } from '../../src/store/consumer-store.js';
import { backends, database, type SqlBackendName } from '../support/backends.js';

interface Harness {
  tx: SqlTransaction;
  close(): Promise<void>;
}

function openSqlite(): Promise<Harness> {
  const db = new Database(':memory:');
  const tx: SqlTransaction = {
    dialect: sqliteDialect,
    query: async <Row>(sql: string, params: readonly unknown[] = []) => db.prepare(sql).all(...params) as Row[],
    execute: async (sql, params = []) => ({ changes: db.prepare(sql).run(...params).changes }),
  };
  return Promise.resolve({ tx, close: async () => void db.close() });
}

async function openPostgres(): Promise<Harness> {
  const client = new pg.Client({ connectionString: database!.url, connectionTimeoutMillis: 3000 });
  await client.connect();
  const schema = `test_sinks_${randomBytes(4).toString('hex')}`;
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`SET search_path TO ${schema}`);
  const tx: SqlTransaction = {
    dialect: postgresDialect,
    query: async <Row>(sql: string, params: readonly unknown[] = []) => (await client.query(sql, params as unknown[])).rows as Row[],
    execute: async (sql, params = []) => ({ changes: (await client.query(sql, params as unknown[])).rowCount ?? 0 }),
  };
  const close = async () => {
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    await client.end();
  };
  return { tx, close };
}

/** The transaction, recording every statement sent through it. */
function recording(tx: SqlTransaction): { tx: SqlTransaction; statements: { sql: string; params: readonly unknown[] }[] } {
  const statements: { sql: string; params: readonly unknown[] }[] = [];
  return {
    statements,
    tx: {
      dialect: tx.dialect,
      query: <Row>(sql: string, params: readonly unknown[] = []) => {
        statements.push({ sql, params });
        return tx.query<Row>(sql, params);
      },
      execute: (sql, params = []) => {
        statements.push({ sql, params });
        return tx.execute(sql, params);
      },
    },
  };
}

const harnesses: Record<SqlBackendName, () => Promise<Harness>> = { sqlite: openSqlite, postgres: openPostgres };
const dialects = backends.map(({ name }): [SqlBackendName, () => Promise<Harness>] => [name, harnesses[name]]);

describe.each(dialects)('%s', (dialect, open) => {
  let harness: Harness;
  let tx: SqlTransaction;
  beforeAll(async () => {
    harness = await open();
    tx = harness.tx;
  });
  afterAll(async () => harness.close());

  describe('documentsSql', () => {
    const T = 'docs';
    beforeEach(async () => documentsSql.create(tx, T));
    afterEach(async () => documentsSql.drop(tx, T));

    const ids = (rows: { id: string }[]) => rows.map((row) => row.id);

    it('puts, gets, replaces, counts and removes documents', async () => {
      const order: Json = { status: 'placed', lines: [{ sku: 'a', qty: 2 }], note: null, paid: false, total: 12.5 };
      await documentsSql.put(tx, T, 'o-1', order);
      await documentsSql.put(tx, T, 'o-2', [1, 'two']);
      expect(await documentsSql.get(tx, T, 'o-1')).toEqual(order);
      expect(await documentsSql.get(tx, T, 'o-2')).toEqual([1, 'two']);
      expect(await documentsSql.get(tx, T, 'missing')).toBeUndefined();
      await documentsSql.put(tx, T, 'o-1', { status: 'shipped' });
      expect(await documentsSql.get(tx, T, 'o-1')).toEqual({ status: 'shipped' });
      expect(await documentsSql.count(tx, T)).toBe(2);
      expect(await documentsSql.remove(tx, T, 'o-1')).toBe(true);
      expect(await documentsSql.remove(tx, T, 'o-1')).toBe(false);
      expect(await documentsSql.get(tx, T, 'o-1')).toBeUndefined();
      expect(await documentsSql.count(tx, T)).toBe(1);
      await documentsSql.create(tx, T);
      expect(await documentsSql.count(tx, T)).toBe(1);
    });

    it('patches the top level: fields replace whole values, null removes a field, a missing document is created', async () => {
      await documentsSql.put(tx, T, 'c-1', { name: 'Ada', address: { city: 'Lyon', zip: '69001' }, vip: true, tags: ['x'] });
      await documentsSql.patch(tx, T, 'c-1', { address: { city: 'Paris', floor: null }, vip: null, 'odd "key".x': 1, score: 0 });
      expect(await documentsSql.get(tx, T, 'c-1')).toEqual({
        name: 'Ada',
        address: { city: 'Paris', floor: null },
        tags: ['x'],
        'odd "key".x': 1,
        score: 0,
      });
      await documentsSql.patch(tx, T, 'c-1', { name: null, address: null, tags: null, 'odd "key".x': null, score: null });
      expect(await documentsSql.get(tx, T, 'c-1')).toEqual({});
      await documentsSql.patch(tx, T, 'c-1', { again: [null, { a: null }] });
      expect(await documentsSql.get(tx, T, 'c-1')).toEqual({ again: [null, { a: null }] });
      await documentsSql.patch(tx, T, 'new', { a: 1, gone: null });
      expect(await documentsSql.get(tx, T, 'new')).toEqual({ a: 1 });
      await documentsSql.put(tx, T, 'list', [1, 2]);
      await documentsSql.patch(tx, T, 'list', { b: 'x' });
      expect(await documentsSql.get(tx, T, 'list')).toEqual({ b: 'x' });
      await documentsSql.patch(tx, T, 'list', {});
      expect(await documentsSql.get(tx, T, 'list')).toEqual({ b: 'x' });
    });

    it('finds by a nested field, and by an AND of fields', async () => {
      await documentsSql.put(tx, T, 'a', { status: 'paid', customer: { address: { city: 'Lyon' } }, region: 'eu' });
      await documentsSql.put(tx, T, 'b', { status: 'paid', customer: { address: { city: 'Oslo' } }, region: 'eu' });
      await documentsSql.put(tx, T, 'c', { status: 'open', customer: { address: { city: 'Lyon' } }, region: 'us' });
      await documentsSql.put(tx, T, 'd', { status: 'paid', customer: [{ address: { city: 'Lyon' } }], region: 'eu' });
      expect(ids(await documentsSql.find(tx, T, { 'customer.address.city': 'Lyon' }))).toEqual(['a', 'c']);
      expect(ids(await documentsSql.find(tx, T, { status: 'paid', region: 'eu' }))).toEqual(['a', 'b', 'd']);
      expect(ids(await documentsSql.find(tx, T, { status: 'paid', 'customer.address.city': 'Lyon' }))).toEqual(['a']);
      expect(ids(await documentsSql.find(tx, T, { status: 'paid', region: 'us' }))).toEqual([]);
      expect(ids(await documentsSql.find(tx, T, {}))).toEqual(['a', 'b', 'c', 'd']);
      const [first] = await documentsSql.find(tx, T, { region: 'us' });
      expect(first).toEqual({ id: 'c', doc: { status: 'open', customer: { address: { city: 'Lyon' } }, region: 'us' } });
    });

    it('matches JSON types: a number never equals the string of its digits, true never equals 1', async () => {
      await documentsSql.put(tx, T, 'num', { code: 42, flag: 1 });
      await documentsSql.put(tx, T, 'str', { code: '42', flag: 'true' });
      await documentsSql.put(tx, T, 'bool', { code: true, flag: true });
      await documentsSql.put(tx, T, 'off', { code: false, flag: false });
      await documentsSql.put(tx, T, 'zero', { code: 0, flag: 0 });
      await documentsSql.put(tx, T, 'obj', { code: { n: 42 }, flag: [true] });
      await documentsSql.put(tx, T, 'arr', { code: ['x'], flag: 'y' });
      expect(ids(await documentsSql.find(tx, T, { code: 42 }))).toEqual(['num']);
      expect(ids(await documentsSql.find(tx, T, { code: '42' }))).toEqual(['str']);
      expect(ids(await documentsSql.find(tx, T, { flag: true }))).toEqual(['bool']);
      expect(ids(await documentsSql.find(tx, T, { flag: false }))).toEqual(['off']);
      expect(ids(await documentsSql.find(tx, T, { flag: 1 }))).toEqual(['num']);
      expect(ids(await documentsSql.find(tx, T, { flag: 0 }))).toEqual(['zero']);
      expect(ids(await documentsSql.find(tx, T, { flag: 'true' }))).toEqual(['str']);
      expect(ids(await documentsSql.find(tx, T, { 'code.n': 42 }))).toEqual(['obj']);
      expect(ids(await documentsSql.find(tx, T, { code: '["x"]' }))).toEqual([]);
      expect(ids(await documentsSql.find(tx, T, { code: '{"n":42}' }))).toEqual([]);
    });

    it('null matches a field that is null or missing, never 0, false or an empty string', async () => {
      await documentsSql.put(tx, T, 'explicit', { x: null, a: { b: null } });
      await documentsSql.put(tx, T, 'missing', { y: 1, a: {} });
      await documentsSql.put(tx, T, 'zero', { x: 0, a: { b: 0 } });
      await documentsSql.put(tx, T, 'false', { x: false, a: { b: false } });
      await documentsSql.put(tx, T, 'empty', { x: '', a: { b: '' } });
      await documentsSql.put(tx, T, 'patched', { x: 'set', a: 'scalar' });
      await documentsSql.patch(tx, T, 'patched', { x: null });
      expect(ids(await documentsSql.find(tx, T, { x: null }))).toEqual(['explicit', 'missing', 'patched']);
      expect(ids(await documentsSql.find(tx, T, { 'a.b': null }))).toEqual(['explicit', 'missing', 'patched']);
    });

    it('pages by id in code point order', async () => {
      for (const id of ['b', 'D', 'a', 'C', 'e', 'é']) await documentsSql.put(tx, T, id, { kind: 'same' });
      await documentsSql.put(tx, T, 'other', { kind: 'different' });
      const pages: string[][] = [];
      let after: string | undefined;
      for (;;) {
        const page = await documentsSql.find(tx, T, { kind: 'same' }, { limit: 2, ...(after === undefined ? {} : { after }) });
        if (page.length === 0) break;
        pages.push(ids(page));
        after = page.at(-1)!.id;
      }
      expect(pages).toEqual([['C', 'D'], ['a', 'b'], ['e', 'é']]);
      expect(await documentsSql.find(tx, T, {})).toHaveLength(7);
      expect(ids(await documentsSql.find(tx, T, {}, { limit: 1, after: 'b' }))).toEqual(['e']);
    });

    it('binds values and ids as parameters: quotes and SQL in them are data', async () => {
      const nasty = `it's "quoted" \\ '); DROP TABLE ${T}; --`;
      const seen = recording(tx);
      await documentsSql.put(seen.tx, T, nasty, { name: nasty, nested: { [nasty]: nasty } });
      await documentsSql.patch(seen.tx, T, nasty, { [nasty]: nasty });
      await documentsSql.put(seen.tx, T, 'plain', { name: 'it' });
      const doc = { name: nasty, nested: { [nasty]: nasty }, [nasty]: nasty };
      expect(await documentsSql.get(seen.tx, T, nasty)).toEqual(doc);
      expect(await documentsSql.find(seen.tx, T, { name: nasty, nested: null })).toEqual([]);
      expect(await documentsSql.find(seen.tx, T, { name: nasty, after: null }, { after: 'a' })).toEqual([{ id: nasty, doc }]);
      expect(await documentsSql.find(seen.tx, T, { name: "it' OR '1'='1" })).toEqual([]);
      expect(await documentsSql.count(tx, T)).toBe(2);
      expect(seen.statements.filter(({ sql }) => sql.includes('quoted') || sql.includes("'1'"))).toEqual([]);
    });

    it('refuses a field path that is not dot-separated names, and a filter value that is not JSON-comparable', async () => {
      for (const field of ['', 'a..b', '.a', 'a.', '1a', 'a-b', 'a b', "a'); DROP TABLE docs; --", 'a[0]', '$.a', 'a.0']) {
        await expect(documentsSql.find(tx, T, { [field]: 1 }), field).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      }
      await expect(documentsSql.find(tx, T, { ok: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(documentsSql.find(tx, T, { ok: {} as unknown as string })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(documentsSql.find(tx, T, {}, { limit: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(documentsSql.create(tx, 'Bad"Name')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect(await documentsSql.find(tx, T, { _ok: 1, 'A_1.b2': true })).toEqual([]);
    });

    it('works with 63-character table names, each with its indexes', async () => {
      const long = 'x'.repeat(63);
      await documentsSql.create(tx, long);
      await documentsSql.put(tx, long, 'a', { v: 1 });
      expect(ids(await documentsSql.find(tx, long, { v: 1 }))).toEqual(['a']);
      await searchSql.create(tx, 'y'.repeat(63));
      await searchSql.index(tx, 'y'.repeat(63), 'a', { body: 'long names' });
      expect(await searchSql.search(tx, 'y'.repeat(63), 'name')).toMatchObject([{ id: 'a' }]);
      if (dialect === 'postgres') {
        // a truncated index name equal to the table's would make CREATE INDEX IF NOT EXISTS skip silently
        const sql = 'SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = ANY($1)';
        const indexes = await tx.query<{ n: number }>(sql, [[long, 'y'.repeat(63)]]);
        expect(indexes[0]!.n).toBe(4);
      }
      await searchSql.drop(tx, 'y'.repeat(63));
      await documentsSql.drop(tx, long);
      await documentsSql.drop(tx, long);
    });
  });

  describe('searchSql', () => {
    const T = 'articles';
    beforeEach(async () => searchSql.create(tx, T));
    afterEach(async () => searchSql.drop(tx, T));

    const ids = (hits: { id: string }[]) => hits.map((hit) => hit.id);

    it('ranks a document with the term twice above one with it once, higher is better', async () => {
      await searchSql.index(tx, T, 'once', { body: 'a fox jumps over the garden fence today' });
      await searchSql.index(tx, T, 'twice', { body: 'a fox meets another fox near the fence' });
      await searchSql.index(tx, T, 'none', { body: 'dogs sleep all afternoon in the sun' });
      const hits = await searchSql.search(tx, T, 'fox');
      expect(ids(hits)).toEqual(['twice', 'once']);
      expect(hits[0]!.rank).toBeGreaterThan(hits[1]!.rank);
      expect(hits[1]!.rank).toBeGreaterThan(0);
      expect(hits[0]!.fields).toEqual({ body: 'a fox meets another fox near the fence' });
    });

    it('weighs the title above the other fields', async () => {
      await searchSql.index(tx, T, 'in-body', { title: 'Garden notes', body: 'planting a cherry tree in spring' });
      await searchSql.index(tx, T, 'in-title', { title: 'Cherry season', body: 'planting a young apple tree in spring' });
      await searchSql.index(tx, T, 'other', { title: 'Weather', body: 'rain all week' });
      expect(ids(await searchSql.search(tx, T, 'cherry'))).toEqual(['in-title', 'in-body']);
    });

    it('stems: running finds runs, walked evenings finds walks every evening', async () => {
      await searchSql.index(tx, T, 'r', { title: 'Morning', body: 'She runs every morning' });
      await searchSql.index(tx, T, 'w', { title: 'Evening', body: 'He walks every evening' });
      expect(ids(await searchSql.search(tx, T, 'running'))).toEqual(['r']);
      expect(ids(await searchSql.search(tx, T, 'Walked evenings'))).toEqual(['w']);
      expect(ids(await searchSql.search(tx, T, 'running evening'))).toEqual([]);
    });

    it('searches phrases, excludes -words and honours the limit', async () => {
      await searchSql.index(tx, T, 'qf', { body: 'the quick fox' });
      await searchSql.index(tx, T, 'fq', { body: 'a fox so quick' });
      expect(ids(await searchSql.search(tx, T, '"quick fox"'))).toEqual(['qf']);
      expect(ids(await searchSql.search(tx, T, 'fox -quick'))).toEqual([]);
      expect(ids(await searchSql.search(tx, T, 'fox -the'))).toEqual(dialect === 'sqlite' ? ['fq'] : ['fq', 'qf']);
      expect(await searchSql.search(tx, T, 'fox', { limit: 1 })).toHaveLength(1);
      await expect(searchSql.search(tx, T, 'fox', { limit: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('removes entries, and indexing an id again replaces its entry', async () => {
      await searchSql.index(tx, T, 'x', { title: 'Apple pie', body: 'with cinnamon' });
      await searchSql.index(tx, T, 'y', { body: 'apple juice' });
      expect(await searchSql.count(tx, T)).toBe(2);
      await searchSql.index(tx, T, 'x', { title: 'Banana bread' });
      expect(await searchSql.count(tx, T)).toBe(2);
      expect(ids(await searchSql.search(tx, T, 'apple'))).toEqual(['y']);
      expect(await searchSql.search(tx, T, 'banana')).toMatchObject([{ id: 'x', fields: { title: 'Banana bread' } }]);
      expect(await searchSql.search(tx, T, 'cinnamon')).toEqual([]);
      expect(await searchSql.remove(tx, T, 'y')).toBe(true);
      expect(await searchSql.remove(tx, T, 'y')).toBe(false);
      expect(await searchSql.search(tx, T, 'apple')).toEqual([]);
      expect(await searchSql.count(tx, T)).toBe(1);
    });

    it('takes hostile terms as text: never a syntax error, punctuation alone finds nothing', async () => {
      await searchSql.index(tx, T, 'cpp', { title: 'C++ templates', body: `it's a "NEAR(" AND OR NOT - * guide` });
      await searchSql.index(tx, T, 'other', { body: 'unrelated text' });
      const hostile = ['"', 'C++', 'NEAR(', 'NEAR(a b)', 'AND', 'OR', 'NOT', '*', '-', "''", '   ', '', '"unclosed', 'a"b', '(', ')'];
      for (const terms of [...hostile, ':', '^', 'title:c', '\0', 'x\0y', '-"']) {
        const hits = await searchSql.search(tx, T, terms);
        expect(Array.isArray(hits), terms).toBe(true);
      }
      for (const terms of ['"', '*', '-', "''", '   ', '', '(', '\0', '-"']) {
        expect(await searchSql.search(tx, T, terms), terms).toEqual([]);
      }
      expect(ids(await searchSql.search(tx, T, 'C++'))).toEqual(['cpp']);
      // a trailing * is a prefix on SQLite; websearch_to_tsquery has no prefix syntax and drops it
      expect(ids(await searchSql.search(tx, T, 'templ*'))).toEqual(dialect === 'sqlite' ? ['cpp'] : []);
      expect(ids(await searchSql.search(tx, T, 'guide NEAR('))).toEqual(['cpp']);
    });

    it('never throws on any string as terms (property)', async () => {
      await searchSql.index(tx, T, 'a', { title: 'Anything', body: 'some words to match against' });
      const terms = fc.oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        fc
          .array(fc.constantFrom('"', '*', '-', '(', ')', 'AND', 'OR', 'NOT', 'NEAR', ':', '^', '+', 'words', ' ', "'", '\0'))
          .map((parts) => parts.join('')),
      );
      await fc.assert(
        fc.asyncProperty(terms, async (text) => {
          expect(Array.isArray(await searchSql.search(tx, T, text))).toBe(true);
        }),
        { numRuns: 100 },
      );
    });
  });
});

// PostgreSQL alone indexes document fields; the case runs wherever PostgreSQL does
describe.each(dialects.filter(([dialect]) => dialect === 'postgres'))('%s', (_dialect, open) => {
  const T = 'docs';
  let harness: Harness;
  let tx: SqlTransaction;
  beforeEach(async () => {
    harness = await open();
    tx = harness.tx;
    await documentsSql.create(tx, T);
  });
  afterEach(() => harness.close());

it('finds documents by field through the GIN index', async () => {
    await documentsSql.put(tx, T, 'a', { status: 'paid', customer: { city: 'Lyon' } });
    const seen = recording(tx);
    await documentsSql.find(seen.tx, T, { status: 'paid', 'customer.city': 'Lyon' });
    const [{ sql, params }] = seen.statements as [{ sql: string; params: readonly unknown[] }];
    // plain index scans off: what is left is a sequential scan or the GIN bitmap scan
    await tx.execute('SET enable_seqscan = off');
    await tx.execute('SET enable_indexscan = off');
    try {
      const plan = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
      expect(plan.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/Bitmap Index Scan on docs_doc/);
    } finally {
      await tx.execute('RESET enable_seqscan');
      await tx.execute('RESET enable_indexscan');
    }
  });
});
