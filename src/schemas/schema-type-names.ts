/** The name of the generated map from event type to the type of its latest version. */
export const EVENT_MAP_NAME = 'TributaryEvents';

/** The TypeScript names generated for one event type. */
export interface SchemaTypeNames {
  /** The alias of the latest version: `OrderPlaced`. */
  latest: string;
  /** Each version's own type: `OrderPlacedV1`, `OrderPlacedV2`. */
  versions: ReadonlyMap<number, string>;
}

/**
 * Names every event type and version as a TypeScript identifier (`order.placed`
 * → `OrderPlaced`, `OrderPlacedV1`…). Types are named in code-unit order of
 * their event type names, and a type whose names are taken gets the first free
 * number (`OrderPlaced2`, `OrderPlaced2V1`), so the same registry always gives
 * the same names.
 *
 * ```ts
 * typeNamesOf(new Map([['order.placed', [1, 2]]])).get('order.placed')!.versions.get(2); // 'OrderPlacedV2'
 * ```
 */
export function typeNamesOf(types: ReadonlyMap<string, readonly number[]>): Map<string, SchemaTypeNames> {
  const taken = new Set<string>([EVENT_MAP_NAME]);
  const names = new Map<string, SchemaTypeNames>();
  for (const type of [...types.keys()].sort(byCodeUnits)) {
    const base = identifierOf(type);
    for (let attempt = 1; ; attempt++) {
      const latest = attempt === 1 ? base : `${base}${attempt}`;
      const versions = new Map(types.get(type)!.map((version) => [version, `${latest}V${version}`] as const));
      const wanted = [latest, ...versions.values()];
      if (wanted.some((name) => taken.has(name))) continue;
      for (const name of wanted) taken.add(name);
      names.set(type, { latest, versions });
      break;
    }
  }
  return names;
}

/**
 * A PascalCase ASCII identifier for `text`: words split at anything but ASCII
 * letters and digits, accents dropped, a letter after a digit upper-cased, and
 * `Event` in front when nothing is left or it starts with a digit. The result
 * is one json-schema-to-typescript keeps as it is, so the names given here are
 * the names it declares.
 */
export function identifierOf(text: string): string {
  const words = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '');
  const joined = words
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('')
    .replace(/(\d)([a-z])/g, (_, digit: string, letter: string) => digit + letter.toUpperCase());
  return /^[A-Z]/.test(joined) ? joined : `Event${joined}`;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
