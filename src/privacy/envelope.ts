import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * How a personal value is stored: `{"$encrypted":"v1.<keyId>.<iv>.<sealed>"}`,
 * where `iv` is a fresh 96-bit nonce and `sealed` the AES-256-GCM ciphertext of
 * the value's JSON text followed by its 128-bit tag, both base64url. The
 * additional data is `v1.<keyId>.<path>`, so an envelope moved to another field
 * or relabelled with another key fails to open.
 *
 * ```ts
 * const sealed = sealValue('ada@example.com', 7, key, 'data.email');
 * openValue(sealed.$encrypted, key, 'data.email') // 'ada@example.com'
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

const VERSION = 'v1';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The value encrypted with subject key `keyId` for the field at `path`. The
 * nonce is random, or what `nonce` derives from the plaintext (at least 12
 * bytes): a synthetic nonce repeats only for the same input, so it never
 * reuses a nonce with different plaintext under one key.
 */
export function sealValue(value: unknown, keyId: number, key: Buffer, path: string, nonce?: (plaintext: Buffer) => Buffer): Envelope {
  const plaintext = Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
  const iv = nonce === undefined ? randomBytes(IV_BYTES) : nonce(plaintext).subarray(0, IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(`${VERSION}.${keyId}.${path}`));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { $encrypted: `${VERSION}.${keyId}.${iv.toString('base64url')}.${body.toString('base64url')}` };
}

/** The key id an envelope's text names, or undefined when the text is not an envelope of this version. */
export function envelopeKeyId(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) return undefined;
  const keyId = Number(parts[1]);
  return Number.isSafeInteger(keyId) && keyId > 0 ? keyId : undefined;
}

/** The value an envelope's text holds, or UNREADABLE when it does not open with `key` for `path`. */
export function openValue(text: string, key: Buffer, path: string): unknown {
  const [version, keyId, iv, body] = text.split('.');
  try {
    const sealed = Buffer.from(body ?? '', 'base64url');
    if (sealed.length < TAG_BYTES) return UNREADABLE;
    const decipher = createDecipheriv(CIPHER, key, Buffer.from(iv ?? '', 'base64url'), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(`${version}.${keyId}.${path}`));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as unknown;
  } catch {
    // a wrong tag, a bad nonce length or altered text: the value cannot be trusted, so none is given
    return UNREADABLE;
  }
}

/** The envelope text when `value` is an envelope (`{ $encrypted: string }` and nothing else), else undefined. */
export function envelopeText(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const text = (value as Record<string, unknown>).$encrypted;
  return typeof text === 'string' && Object.keys(value).length === 1 ? text : undefined;
}
