import { createCipheriv, createDecipheriv, createHmac, randomFillSync } from 'node:crypto';

/**
 * How an event's personal values are stored: all of them sealed together, one
 * cipher operation per event. The first present field holds the envelope
 * `{"$encrypted":"v2.<keyId>.<iv>.<sealed>"}`, where `iv` is a 96-bit nonce and
 * `sealed` the AES-256-GCM ciphertext followed by its 128-bit tag, both
 * base64url; the plaintext is the JSON of `{ <path>: <value> }` for every
 * present field. Each other present field holds a stub naming the envelope's
 * field, `{"$encrypted":"@<path>"}`. The additional data is
 * `v2.<keyId>.<path of the envelope>`, so an envelope moved to another field or
 * relabelled with another key fails to open, and the paths inside bind each
 * value to its field.
 *
 * ```ts
 * const text = sealValues({ 'data.email': 'ada@example.com' }, 7, key, 'data.email');
 * openValues(text, key, 'data.email') // { 'data.email': 'ada@example.com' }
 * ```
 */
export interface Envelope {
  $encrypted: string;
}

/** What a reader sees in place of a personal value it may not read: the key is gone, or its token lacks the scope. */
export type PersonalMarker = { $personal: 'forgotten' } | { $personal: 'withheld' } | { $personal: 'unreadable' };

export const FORGOTTEN: PersonalMarker = Object.freeze({ $personal: 'forgotten' });
export const WITHHELD: PersonalMarker = Object.freeze({ $personal: 'withheld' });
/** An envelope that does not open with its key: altered, or moved from another field. */
export const UNREADABLE: PersonalMarker = Object.freeze({ $personal: 'unreadable' });

const VERSION = 'v2';
const PREFIX = `${VERSION}.`;
const STUB_PREFIX = '@';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
// one options object for every cipher: made once, not per event
const GCM_OPTIONS = Object.freeze({ authTagLength: TAG_BYTES });
// random nonces are cut from one large fill: a call to the random source per event costs as much as the cipher
const NONCE_POOL_BYTES = 12 * 4_096;
let noncePool = Buffer.alloc(0);
let nonceUsed = 0;

/** A fresh random nonce; the pool's bytes are handed out once and the pool is replaced, never refilled in place. */
function randomNonce(): Buffer {
  if (nonceUsed + IV_BYTES > noncePool.length) {
    noncePool = randomFillSync(Buffer.allocUnsafe(NONCE_POOL_BYTES));
    nonceUsed = 0;
  }
  nonceUsed += IV_BYTES;
  return noncePool.subarray(nonceUsed - IV_BYTES, nonceUsed);
}

/**
 * The envelope text of `values` (path → value) sealed with subject key `keyId`
 * and placed at `path`. The nonce is random, or, with `seed` (an event id),
 * the HMAC of the seed and the plaintext under the key: a synthetic nonce
 * repeats only for the same input, so a retried append writes the same bytes
 * and no nonce is ever reused with different plaintext under one key.
 */
export function sealValues(values: Record<string, unknown>, keyId: number, key: Buffer, path: string, seed?: string): string {
  const plaintext = Buffer.from(JSON.stringify(values), 'utf8');
  const iv = seed === undefined ? randomNonce() : createHmac('sha256', key).update(seed).update('\n').update(plaintext).digest().subarray(0, IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv, GCM_OPTIONS);
  cipher.setAAD(Buffer.from(`${PREFIX}${keyId}.${path}`));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${PREFIX}${keyId}.${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** The stub a present personal field holds when its value is in the envelope at `path`. */
export function stubText(path: string): string {
  return `${STUB_PREFIX}${path}`;
}

/** True when the text is a stub (its value is in the event's envelope), not an envelope. */
export function isStub(text: string): boolean {
  return text.startsWith(STUB_PREFIX);
}

/** The key id an envelope's text names, or undefined when the text is not an envelope of this version. */
export function envelopeKeyId(text: string): number | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  const end = text.indexOf('.', PREFIX.length);
  if (end < 0) return undefined;
  const keyId = Number(text.slice(PREFIX.length, end));
  return Number.isSafeInteger(keyId) && keyId > 0 ? keyId : undefined;
}

/** The values (path → value) an envelope at `path` holds, or undefined when it does not open with `key` there. */
export function openValues(text: string, key: Buffer, path: string): Record<string, unknown> | undefined {
  const afterKey = text.indexOf('.', PREFIX.length);
  const afterIv = text.indexOf('.', afterKey + 1);
  if (!text.startsWith(PREFIX) || afterKey < 0 || afterIv < 0) return undefined;
  try {
    const iv = Buffer.from(text.slice(afterKey + 1, afterIv), 'base64url');
    const sealed = Buffer.from(text.slice(afterIv + 1), 'base64url');
    if (sealed.length < TAG_BYTES || iv.length !== IV_BYTES) return undefined;
    const decipher = createDecipheriv(CIPHER, key, iv, GCM_OPTIONS);
    decipher.setAAD(Buffer.from(`${text.slice(0, afterKey)}.${path}`));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    // final checks the tag (and gives no more bytes: GCM is a stream cipher); nothing is parsed before it passes
    decipher.final();
    const values: unknown = JSON.parse(plain.toString('utf8'));
    return typeof values === 'object' && values !== null && !Array.isArray(values) ? (values as Record<string, unknown>) : undefined;
  } catch {
    // a wrong tag or altered text: the values cannot be trusted, so none are given
    return undefined;
  }
}

/** The envelope or stub text when `value` is `{ $encrypted: string }` and nothing else, else undefined. */
export function envelopeText(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const text = (value as Record<string, unknown>).$encrypted;
  if (typeof text !== 'string') return undefined;
  for (const key in value) if (key !== '$encrypted') return undefined;
  return text;
}
