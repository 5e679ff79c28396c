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

/** A tokens table row as both SQL backends select it. */
export interface TokenRow {
  id: string;
  name: string;
  secret_hash: string;
  scopes: string;
  created_at: number;
  revoked_at: number | null;
}

export function tokenOf(row: TokenRow): TokenRecord & { secretHash: string } {
  return {
    id: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as string[],
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    secretHash: row.secret_hash,
  };
}
