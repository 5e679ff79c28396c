import type { RecordedEvent } from '../../core/event.js';
import type { DeclareAnswer, ForgetAnswer, ForgetOptions, PersonalData, PersonalFields, PersonalFieldsDeclaration } from '../../store/personal-data.js';
import type { RemoteHttp } from './remote-http.js';

/**
 * The server's personal data: `PUT /privacy/{category}`, `GET /privacy/{category}`,
 * `GET /privacy` and `POST /privacy/forget`. The server decrypts, or withholds,
 * by the token's scopes before anything reaches this store, so `seal` and
 * `withhold` have nothing left to do here.
 */
export class RemotePrivacy implements PersonalData {
  readonly #http: RemoteHttp;

  constructor(http: RemoteHttp) {
    this.#http = http;
  }

  declare(category: string, fields: PersonalFields): Promise<DeclareAnswer> {
    return this.#http.request<DeclareAnswer>('PUT', `/privacy/${encodeURIComponent(category)}`, { body: fields });
  }

  async get(category: string): Promise<PersonalFieldsDeclaration | undefined> {
    const { declaration } = await this.#http.request<{ declaration: PersonalFieldsDeclaration | null }>('GET', `/privacy/${encodeURIComponent(category)}`);
    return declaration ?? undefined;
  }

  async list(): Promise<PersonalFieldsDeclaration[]> {
    return (await this.#http.request<{ declarations: PersonalFieldsDeclaration[] }>('GET', '/privacy')).declarations;
  }

  /** `by` is the server's to set: the name of this store's token. */
  forget(subject: string, options: ForgetOptions = {}): Promise<ForgetAnswer> {
    return this.#http.request<ForgetAnswer>('POST', '/privacy/forget', { body: { subject, ...(options.reason === undefined ? {} : { reason: options.reason }) } });
  }

  seal(events: readonly RecordedEvent[]): Promise<RecordedEvent[]> {
    return Promise.resolve([...events]);
  }

  withhold(events: readonly RecordedEvent[]): Promise<RecordedEvent[]> {
    return Promise.resolve([...events]);
  }
}
