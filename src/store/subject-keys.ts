import { randomBytes } from 'node:crypto';
import type { SqlAccess } from './sql-access.js';

/** A subject's live key: `keyId` is what envelopes name, `secret` the 256-bit AES key. */
export interface SubjectKey {
  keyId: number;
  secret: Buffer;
}

/**
 * The per-subject keys of personal data, kept in the store's own table
 * (`tributary_subject_keys`) and never in the log. A subject has at most one
 * live key; `forget` deletes its secret for good, and a later `keyFor` of the
 * same subject makes a new key (events appended afterwards are readable again,
 * the ones before stay forgotten).
 *
 * ```ts
 * const { keyId, secret } = await keys.keyFor('customer-42');
 * await keys.forget('customer-42'); // 'FORGOTTEN'
 * ```
 */
export interface SubjectKeys {
  /** The subject's live key, made on first use; two processes asking at once get the same one (the unique index decides). */
  keyFor(subject: string): Promise<SubjectKey>;
  /** The live keys of these subjects, made for those that have none: one read for all that have one. */
  keysFor(subjects: readonly string[]): Promise<Map<string, SubjectKey>>;
  /** The secrets of these key ids: null for a forgotten key; an id the table does not hold is absent. */
  secrets(keyIds: readonly number[]): Promise<Map<number, Buffer | null>>;
  /** Deletes the subject's live key: 'NO_KEY' when it has none (never had one, or forgotten already). */
  forget(subject: string): Promise<'FORGOTTEN' | 'NO_KEY'>;
}

interface KeyRow {
  key_id: number | string;
  secret: Buffer | Uint8Array | null;
}

const KEY_BYTES = 32;
// ids asked for in one statement: far below both databases' bound-parameter limits
const IDS_PER_QUERY = 500;

/** The keys table through the store's own `SqlAccess`: the same SQL on SQLite and PostgreSQL, as the tokens table. */
export class SqlSubjectKeys implements SubjectKeys {
  readonly #sql: SqlAccess;
  readonly #clock: () => number;
  readonly #statements: Record<'live' | 'insert' | 'forget', string>;

  constructor(sql: SqlAccess, clock: () => number = Date.now) {
    const placeholders = (text: string) => sql.dialect.placeholders(text);
    this.#sql = sql;
    this.#clock = clock;
    this.#statements = {
      live: placeholders('SELECT key_id, secret FROM tributary_subject_keys WHERE subject = ? AND forgotten_at IS NULL'),
      insert: placeholders(
        'INSERT INTO tributary_subject_keys (subject, secret, created_at) VALUES (?, ?, ?) ON CONFLICT (subject) WHERE forgotten_at IS NULL DO NOTHING RETURNING key_id, secret',
      ),
      forget: placeholders('UPDATE tributary_subject_keys SET secret = NULL, forgotten_at = ? WHERE subject = ? AND forgotten_at IS NULL'),
    };
  }

  async keyFor(subject: string): Promise<SubjectKey> {
    const [live] = await this.#sql.query<KeyRow>(this.#statements.live, [subject]);
    if (live !== undefined) return keyOf(live);
    const made = await this.#sql.transaction(async (tx) => {
      const [inserted] = await tx.query<KeyRow>(this.#statements.insert, [subject, randomBytes(KEY_BYTES), this.#clock()]);
      // another process made it first: its row is the subject's key
      return inserted ?? (await tx.query<KeyRow>(this.#statements.live, [subject]))[0];
    });
    return keyOf(made ?? (await this.#sql.query<KeyRow>(this.#statements.live, [subject]))[0]!);
  }

  async keysFor(subjects: readonly string[]): Promise<Map<string, SubjectKey>> {
    const found = new Map<string, SubjectKey>();
    for (let start = 0; start < subjects.length; start += IDS_PER_QUERY) {
      const some = subjects.slice(start, start + IDS_PER_QUERY);
      const text = this.#sql.dialect.placeholders(
        `SELECT subject, key_id, secret FROM tributary_subject_keys WHERE forgotten_at IS NULL AND subject IN (${some.map(() => '?').join(', ')})`,
      );
      for (const row of await this.#sql.query<KeyRow & { subject: string }>(text, some)) found.set(row.subject, keyOf(row));
    }
    // a subject's first personal data: its key is made once in its life
    for (const subject of subjects) if (!found.has(subject)) found.set(subject, await this.keyFor(subject));
    return found;
  }

  async secrets(keyIds: readonly number[]): Promise<Map<number, Buffer | null>> {
    const found = new Map<number, Buffer | null>();
    for (let start = 0; start < keyIds.length; start += IDS_PER_QUERY) {
      const ids = keyIds.slice(start, start + IDS_PER_QUERY);
      const text = this.#sql.dialect.placeholders(`SELECT key_id, secret FROM tributary_subject_keys WHERE key_id IN (${ids.map(() => '?').join(', ')})`);
      for (const row of await this.#sql.query<KeyRow>(text, ids)) found.set(Number(row.key_id), row.secret === null ? null : Buffer.from(row.secret));
    }
    return found;
  }

  async forget(subject: string): Promise<'FORGOTTEN' | 'NO_KEY'> {
    const { changes } = await this.#sql.transaction((tx) => tx.execute(this.#statements.forget, [this.#clock(), subject]));
    return changes > 0 ? 'FORGOTTEN' : 'NO_KEY';
  }
}

function keyOf(row: KeyRow): SubjectKey {
  return { keyId: Number(row.key_id), secret: Buffer.from(row.secret!) };
}
