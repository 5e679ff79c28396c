import { randomBytes } from 'node:crypto';
import type { SubjectKey, SubjectKeys } from '../../src/store/subject-keys.js';

/** Keys in memory: what the keys table does, without a database. */
export class MemoryKeys implements SubjectKeys {
  readonly #live = new Map<string, SubjectKey>();
  readonly #secrets = new Map<number, Buffer | null>();
  keyFor(subject: string): Promise<SubjectKey> {
    let key = this.#live.get(subject);
    if (key === undefined) {
      key = { keyId: this.#secrets.size + 1, secret: randomBytes(32) };
      this.#live.set(subject, key);
      this.#secrets.set(key.keyId, key.secret);
    }
    return Promise.resolve(key);
  }
  async keysFor(subjects: readonly string[]): Promise<Map<string, SubjectKey>> {
    const found = new Map<string, SubjectKey>();
    for (const subject of subjects) found.set(subject, await this.keyFor(subject));
    return found;
  }
  secrets(keyIds: readonly number[]): Promise<Map<number, Buffer | null>> {
    return Promise.resolve(new Map(keyIds.filter((id) => this.#secrets.has(id)).map((id) => [id, this.#secrets.get(id)!])));
  }
  forget(subject: string): Promise<'FORGOTTEN' | 'NO_KEY'> {
    const key = this.#live.get(subject);
    if (key === undefined) return Promise.resolve('NO_KEY');
    this.#live.delete(subject);
    this.#secrets.set(key.keyId, null);
    return Promise.resolve('FORGOTTEN');
  }
}
