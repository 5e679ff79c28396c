import type pg from 'pg';
import { tokenOf, type NewToken, type TokenRecord, type TokenRow, type TokenStore } from '../../store/token-store.js';
import { guarded } from './postgres-errors.js';
import { NOW_MS } from './postgres-statements.js';

const COLUMNS = 'id, name, secret_hash, scopes, created_at, revoked_at';

/** API tokens in the store's schema, shared by every server on the database. */
export class PostgresTokenStore implements TokenStore {
  readonly #pool: pg.Pool;
  readonly #s: string;
  readonly #isClosed: () => boolean;

  constructor(pool: pg.Pool, schema: string, isClosed: () => boolean) {
    this.#pool = pool;
    this.#s = schema;
    this.#isClosed = isClosed;
  }

  async create(token: NewToken): Promise<void> {
    await this.#query(`INSERT INTO ${this.#s}.tokens (id, name, secret_hash, scopes, created_at) VALUES ($1, $2, $3, $4, ${NOW_MS})`, [
      token.id,
      token.name,
      token.secretHash,
      JSON.stringify(token.scopes),
    ]);
  }

  async list(): Promise<TokenRecord[]> {
    const rows = await this.#query<TokenRow>(`SELECT ${COLUMNS} FROM ${this.#s}.tokens ORDER BY created_at, id`, []);
    return rows.rows.map((row) => {
      const { secretHash: _hash, ...record } = tokenOf(row);
      return record;
    });
  }

  async find(id: string): Promise<(TokenRecord & { secretHash: string }) | undefined> {
    const rows = await this.#query<TokenRow>(`SELECT ${COLUMNS} FROM ${this.#s}.tokens WHERE id = $1`, [id]);
    const row = rows.rows[0];
    return row === undefined ? undefined : tokenOf(row);
  }

  async revoke(id: string): Promise<boolean> {
    const result = await this.#query(`UPDATE ${this.#s}.tokens SET revoked_at = ${NOW_MS} WHERE id = $1 AND revoked_at IS NULL`, [id]);
    return result.rowCount === 1;
  }

  #query<Row extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<Row>> {
    return guarded(this.#isClosed, () => this.#pool.query<Row>(text, values));
  }
}
