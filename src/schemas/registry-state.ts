import type { RecordedEvent } from '../core/event.js';
import {
  DEFAULT_COMPATIBILITY,
  type CategoryMode,
  type Compatibility,
  type SchemaTypeDetails,
  type SchemaTypeSummary,
  type SchemaVersion,
  type UpcastRule,
  type ValidationMode,
} from '../store/schema-registry.js';
import { REGISTRY_EVENT, type CategoriesAdded, type CompatibilitySet, type ModeSet, type UpcasterSet, type VersionRegistered } from './registry-events.js';

/** What the registry knows of one event type. */
export interface TypeEntry {
  readonly type: string;
  readonly versions: SchemaVersion[];
  compatibility: Compatibility;
  readonly categories: Set<string>;
  /** Stored upcaster rules, by the version they start from. */
  readonly rules: Map<number, UpcastRule[]>;
  /** The revision of the type's stream: the expected revision of its next change. */
  revision: number;
}

/**
 * The registry folded from its events, in position order. Each process keeps
 * one and applies the events appended since, so every process reaches the
 * same state from the same log.
 */
export class RegistryState {
  /** The position of the last registry event applied. */
  position = 0;
  readonly types = new Map<string, TypeEntry>();
  readonly modes = new Map<string, ValidationMode>();
  /** How many categories validate (`enforce` or `warn`): none, and appends skip the validator altogether. */
  validating = 0;
  /** How many upcaster steps are stored: none, and reads pass through untouched. */
  storedSteps = 0;

  apply(event: RecordedEvent): void {
    this.position = Math.max(this.position, event.position);
    switch (event.type) {
      case REGISTRY_EVENT.versionRegistered: {
        const { type, version, schema, categories } = event.data as VersionRegistered;
        const entry = this.#entry(type, event.revision);
        entry.versions.push({ type, version, schema, registeredAt: event.recordedAt, position: event.position });
        for (const category of categories) entry.categories.add(category);
        return;
      }
      case REGISTRY_EVENT.categoriesAdded: {
        const { type, categories } = event.data as CategoriesAdded;
        const entry = this.#entry(type, event.revision);
        for (const category of categories) entry.categories.add(category);
        return;
      }
      case REGISTRY_EVENT.compatibilitySet: {
        const { type, compatibility } = event.data as CompatibilitySet;
        this.#entry(type, event.revision).compatibility = compatibility;
        return;
      }
      case REGISTRY_EVENT.upcasterSet: {
        const { type, fromVersion, rules } = event.data as UpcasterSet;
        const entry = this.#entry(type, event.revision);
        if (!entry.rules.has(fromVersion)) this.storedSteps++;
        entry.rules.set(fromVersion, rules);
        return;
      }
      case REGISTRY_EVENT.modeSet: {
        const { category, mode } = event.data as ModeSet;
        const before = this.modes.get(category) ?? 'off';
        this.modes.set(category, mode);
        this.validating += (mode === 'off' ? 0 : 1) - (before === 'off' ? 0 : 1);
        return;
      }
      // a registry event of a later version of Tributary: ignored rather than misread
      default:
        return;
    }
  }

  /** The validation mode of a category; `off` when none was set. */
  modeOf(category: string): ValidationMode {
    return this.validating === 0 ? 'off' : (this.modes.get(category) ?? 'off');
  }

  /** The newest version of a type, or undefined when none is registered. */
  latest(type: string): SchemaVersion | undefined {
    return this.types.get(type)?.versions.at(-1);
  }

  summary(entry: TypeEntry): SchemaTypeSummary {
    return {
      type: entry.type,
      latest: entry.versions.length,
      compatibility: entry.compatibility,
      categories: [...entry.categories].sort(),
      upcasters: [...entry.rules.keys()].sort((a, b) => a - b),
    };
  }

  details(entry: TypeEntry): SchemaTypeDetails {
    const summary = this.summary(entry);
    return {
      ...summary,
      versions: [...entry.versions],
      rules: summary.upcasters.map((fromVersion) => ({ fromVersion, rules: entry.rules.get(fromVersion)! })),
    };
  }

  categoryModes(): CategoryMode[] {
    return [...this.modes].map(([category, mode]) => ({ category, mode })).sort((a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : 0));
  }

  #entry(type: string, revision: number): TypeEntry {
    let entry = this.types.get(type);
    if (entry === undefined) {
      entry = { type, versions: [], compatibility: DEFAULT_COMPATIBILITY, categories: new Set(), rules: new Map(), revision };
      this.types.set(type, entry);
    }
    entry.revision = revision;
    return entry;
  }
}
