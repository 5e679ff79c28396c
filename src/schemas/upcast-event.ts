import { RecordedEvent, type EventMetadata } from '../core/event.js';
import { SCHEMA_VERSION_KEY } from '../store/schema-registry.js';

/** One step of an upcaster chain: data of one version in, data of the next out. */
export type UpcastStep = (data: unknown, stored: RecordedEvent) => unknown;

/**
 * An event read as its type's latest version: its data is the stored data run
 * through the upcaster chain, and its metadata names the version it now has.
 * Both are worked out on first access, so a reader that never looks into the
 * event pays for nothing but this object.
 */
export class UpcastEvent extends RecordedEvent {
  readonly #stored: RecordedEvent;
  readonly #steps: readonly UpcastStep[];
  readonly #version: number;
  #data: unknown;
  #upcast = false;
  #dataJson: string | undefined;
  #metadata: EventMetadata | undefined;
  #metadataJson: string | undefined;

  constructor(stored: RecordedEvent, steps: readonly UpcastStep[], version: number) {
    super(stored.id, stored.stream, stored.type, stored.revision, stored.position, stored.dataJson, stored.metadataJson, stored.recordedAtMillis, stored.tagsJson);
    this.#stored = stored;
    this.#steps = steps;
    this.#version = version;
  }

  override get data(): unknown {
    if (!this.#upcast) {
      let data = JSON.parse(this.#stored.dataJson) as unknown;
      for (const step of this.#steps) data = step(data, this.#stored);
      this.#data = data;
      this.#upcast = true;
    }
    return this.#data;
  }

  override get dataJson(): string {
    this.#dataJson ??= JSON.stringify(this.data) ?? 'null';
    return this.#dataJson;
  }

  override get metadata(): EventMetadata {
    this.#metadata ??= { ...this.#stored.metadata, [SCHEMA_VERSION_KEY]: this.#version };
    return this.#metadata;
  }

  override get metadataJson(): string {
    this.#metadataJson ??= JSON.stringify(this.metadata);
    return this.#metadataJson;
  }
}
