import { tokenOf, type NewToken, type TokenRecord, type TokenRow, type TokenStore } from '../../store/token-store.js';
import type { SqliteConnection, StatementSource } from './sqlite-connection.js';

/** API tokens in the store's SQLite file. */
export class SqliteTokenStore implements TokenStore {
  readonly #connection: SqliteConnection;
  readonly #clock: () => number;
  readonly #sql: ReturnType<typeof prepare>;

  constructor(connection: SqliteConnection, clock: () => number) {
    this.#connection = connection;
    this.#clock = clock;
    this.#sql = prepare(connection);
  }

  create(token: NewToken): Promise<void> {
    return this.#connection.write('store.tokens.create', () =>
      void this.#sql.insert.run(token.id, token.name, token.secretHash, JSON.stringify(token.scopes), this.#clock()),
    );
  }

  async list(): Promise<TokenRecord[]> {
    return this.#connection.read(() =>
      (this.#sql.all.all() as TokenRow[]).map((row) => {
        const { secretHash: _hash, ...record } = tokenOf(row);
        return record;
      }),
    );
  }

  async find(id: string): Promise<(TokenRecord & { secretHash: string }) | undefined> {
    return this.#connection.read(() => {
      const row = this.#sql.one.get(id) as TokenRow | undefined;
      return row === undefined ? undefined : tokenOf(row);
    });
  }

  revoke(id: string): Promise<boolean> {
    return this.#connection.write('store.tokens.revoke', () => this.#sql.revoke.run(this.#clock(), id).changes === 1);
  }
}

function prepare(db: StatementSource) {
  const columns = 'id, name, secret_hash, scopes, created_at, revoked_at';
  return {
    insert: db.prepare('INSERT INTO tokens (id, name, secret_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)'),
    all: db.prepare(`SELECT ${columns} FROM tokens ORDER BY created_at, id`),
    one: db.prepare(`SELECT ${columns} FROM tokens WHERE id = ?`),
    revoke: db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
  };
}
