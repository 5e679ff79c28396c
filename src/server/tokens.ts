import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalidArgument } from '../core/errors.js';
import type { NewToken } from '../store/token-store.js';
import { parseScope } from './scopes.js';

const TOKEN = /^trb_([0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

/** A new token: what to store (the secret hashed) and the text to hand out once. */
export function mintToken(name: string, scopes: readonly string[]): { token: string; record: NewToken } {
  if (name.trim() === '' || name.length > 200) throw invalidArgument('name', 'must be 1-200 characters');
  if (scopes.length === 0) throw invalidArgument('scope', 'give at least one: admin, read:*, read:<category>, write:*, write:<category>');
  for (const scope of scopes) {
    if (parseScope(scope) === undefined) {
      throw invalidArgument('scope', `${JSON.stringify(scope)} is not admin, read:<category|*> or write:<category|*> (a category holds no : - * , or spaces)`);
    }
  }
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { token: `trb_${id}.${secret}`, record: { id, name, secretHash: hashSecret(secret), scopes: [...new Set(scopes)] } };
}

/** The id and secret of a presented token, or undefined when it is not shaped like one. */
export function parseToken(text: string): { id: string; secret: string } | undefined {
  const match = TOKEN.exec(text);
  return match === null ? undefined : { id: match[1]!, secret: match[2]! };
}

/** A fast hash is enough: the secret is 256 random bits, not a password. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, secretHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(secretHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
