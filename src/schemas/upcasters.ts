import { TributaryError } from '../core/errors.js';
import type { RecordedEvent } from '../core/event.js';
import { isRedacted } from '../store/redaction.js';
import { SCHEMA_VERSION_KEY, type UpcastFunction, type UpcastRule } from '../store/schema-registry.js';
import type { RegistryState } from './registry-state.js';
import { applyUpcastRules } from './upcast-rules.js';
import { UpcastEvent, type UpcastStep } from './upcast-event.js';

const VERSION_IN_METADATA = `"${SCHEMA_VERSION_KEY}"`;
// the store stamps the version as the last member of the top-level object; a `{` or `,` before the key's quote cannot sit inside a string
const STAMPED_VERSION = new RegExp(`[{,]"${SCHEMA_VERSION_KEY}":([1-9][0-9]{0,8})}$`);

/**
 * Brings events read from the log up to their type's latest version: the
 * functions registered in this process, else the rules stored in the
 * registry, one step per version. A step with neither leaves the data as it
 * is (a compatible change needs none).
 */
export class Upcasters {
  readonly #functions = new Map<string, Map<number, UpcastFunction>>();
  #count = 0;
  // the steps from each stored version of each type, built once per registry state and set of functions instead of once per event
  #chains = new Map<string, (readonly UpcastStep[])[]>();
  #chainsOf: { state: RegistryState; position: number; functions: number } | undefined;
  #functionChanges = 0;

  add(type: string, fromVersion: number, upcast: UpcastFunction): () => void {
    if (typeof upcast !== 'function') throw new TributaryError('INVALID_ARGUMENT', 'an upcaster is a function from the data of one version to the next', { type });
    if (!Number.isSafeInteger(fromVersion) || fromVersion < 1) {
      throw new TributaryError('INVALID_ARGUMENT', `an upcaster starts from a version >= 1, got ${JSON.stringify(fromVersion)}`, { type });
    }
    let steps = this.#functions.get(type);
    if (steps === undefined) this.#functions.set(type, (steps = new Map<number, UpcastFunction>()));
    if (!steps.has(fromVersion)) this.#count++;
    steps.set(fromVersion, upcast);
    this.#functionChanges++;
    return () => {
      if (this.#functions.get(type)?.get(fromVersion) !== upcast) return;
      steps.delete(fromVersion);
      this.#count--;
      this.#functionChanges++;
    };
  }

  /** The events as their types' latest versions; the same array when no step applies to any. */
  upcast(events: RecordedEvent[], state: RegistryState): RecordedEvent[] {
    if (this.#count === 0 && state.storedSteps === 0) return events;
    const cached = this.#chainsOf;
    if (cached?.state !== state || cached.position !== state.position || cached.functions !== this.#functionChanges) {
      this.#chains = new Map();
      this.#chainsOf = { state, position: state.position, functions: this.#functionChanges };
    }
    let result: RecordedEvent[] | undefined;
    for (let i = 0; i < events.length; i++) {
      const upcast = this.#upcastOne(events[i]!, state);
      if (upcast === undefined) continue;
      result ??= events.slice();
      result[i] = upcast;
    }
    return result ?? events;
  }

  #upcastOne(event: RecordedEvent, state: RegistryState): RecordedEvent | undefined {
    const entry = state.types.get(event.type);
    // a redacted event holds a marker, not any version of its type's data
    if (entry === undefined || isRedacted(event)) return undefined;
    const latest = entry.versions.length;
    const stored = storedVersion(event);
    if (stored === undefined || stored >= latest) return undefined;
    const steps = this.#chain(event.type, stored, latest, entry.rules);
    return steps.length === 0 ? undefined : new UpcastEvent(event, steps, latest);
  }

  /** The steps that take `type` from `stored` to `latest`: this process's functions, else the stored rules. */
  #chain(type: string, stored: number, latest: number, rules: ReadonlyMap<number, readonly UpcastRule[]>): readonly UpcastStep[] {
    let chains = this.#chains.get(type);
    if (chains === undefined) this.#chains.set(type, (chains = []));
    let steps = chains[stored];
    if (steps !== undefined) return steps;
    const functions = this.#functions.get(type);
    const built: UpcastStep[] = [];
    for (let from = stored; from < latest; from++) {
      const upcast = functions?.get(from);
      const stepRules = upcast === undefined ? rules.get(from) : undefined;
      if (upcast !== undefined) built.push(upcast);
      else if (stepRules !== undefined) built.push((data) => applyUpcastRules(data, stepRules));
    }
    steps = built;
    chains[stored] = steps;
    return steps;
  }
}

/**
 * The version an event was written as: its metadata's `schemaVersion`, 1 when
 * it names none (written before its type had a schema), undefined when it names
 * something that is no version.
 */
export function storedVersion(event: RecordedEvent): number | undefined {
  // most events of a busy log name no version, or are read raw: no metadata is parsed for them
  if (event.metadataJson === null || !event.metadataJson.includes(VERSION_IN_METADATA)) return 1;
  const stamped = STAMPED_VERSION.exec(event.metadataJson);
  if (stamped !== null) return Number(stamped[1]);
  const version = event.metadata[SCHEMA_VERSION_KEY];
  return typeof version === 'number' && Number.isSafeInteger(version) && version >= 1 ? version : undefined;
}
