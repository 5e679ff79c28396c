import type { SqlAccess } from './sql-access.js';

/**
 * The server's API tokens, kept in the store's database so that every server
 * on one database accepts the same tokens and sees a revocation at once. Only
 * a hash of each token's secret is stored.
 */
export interface TokenStore {
  create(token: NewToken): Promise<void>;
  /** Every token, revoked ones included, oldest first. */
  list(): Promise<TokenRecord[]>;
  /** One token with its secret's hash, or undefined. */
  find(id: string): Promise<(TokenRecord & { secretHash: string }) | undefined>;
  /** Marks the token revoked; false when there is no such live token. */
  revoke(id: string): Promise<boolean>;
}

export interface NewToken {
  id: string;
  name: string;
  secretHash: string;
  scopes: readonly string[];
}

export interface TokenRecord {
  id: string;
  name: string;
  scopes: string[];
  createdAt: number;
  revokedAt: number | null;
}

/** A row of the tokens table. */
interface TokenRow {
  id: string;
  name: string;
  secret_hash: string;
  scopes: string;
  created_at: number;
  revoked_at: number | null;
}

function tokenOf(row: TokenRow): TokenRecord & { secretHash: string } {
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as string[],
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    secretHash: row.secret_hash,
  };
}

const COLUMNS = 'id, name, secret_hash, scopes, created_at, revoked_at';

/**
 * The tokens table of a SQL backend, through the store's own `SqlAccess`: one
 * implementation for every SQL backend; `clock` stamps creation and revocation.
 */
export class SqlTokenStore implements TokenStore {
  readonly #sql: SqlAccess;
  readonly #clock: () => number;
  readonly #statements: Record<'insert' | 'all' | 'one' | 'revoke', string>;

  constructor(sql: SqlAccess, clock: () => number) {
    const placeholders = (text: string) => sql.dialect.placeholders(text);
    this.#sql = sql;
    this.#clock = clock;
    this.#statements = {
      insert: placeholders('INSERT INTO tokens (id, name, secret_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)'),
      all: `SELECT ${COLUMNS} FROM tokens ORDER BY created_at, id`,
      one: placeholders(`SELECT ${COLUMNS} FROM tokens WHERE id = ?`),
      revoke: placeholders('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    };
  }

  async create(token: NewToken): Promise<void> {
    const values = [token.id, token.name, token.secretHash, JSON.stringify(token.scopes), this.#clock()];
    await this.#sql.transaction((tx) => tx.execute(this.#statements.insert, values));
  }

  async list(): Promise<TokenRecord[]> {
    const rows = await this.#sql.query<TokenRow>(this.#statements.all);
    return rows.map((row) => {
      const { secretHash: _hash, ...record } = tokenOf(row);
      return record;
    });
  }

  async find(id: string): Promise<(TokenRecord & { secretHash: string }) | undefined> {
    const [row] = await this.#sql.query<TokenRow>(this.#statements.one, [id]);
    return row === undefined ? undefined : tokenOf(row);
  }

  async revoke(id: string): Promise<boolean> {
    const { changes } = await this.#sql.transaction((tx) => tx.execute(this.#statements.revoke, [this.#clock(), id]));
    return changes === 1;
  }
}
