import { TributaryError } from '../core/errors.js';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../core/json-depth.js';
import type { UpcastRule } from '../store/schema-registry.js';

/** The most rules one upcaster step holds. */
export const MAX_UPCAST_RULES = 100;

const FIELDS: Record<UpcastRule['op'], readonly string[]> = {
  rename: ['op', 'path', 'to'],
  move: ['op', 'from', 'to'],
  default: ['op', 'path', 'value'],
  drop: ['op', 'path'],
};

/** Throws INVALID_SCHEMA unless `rules` is a list of well-formed upcaster rules with JSON Pointer paths. */
export function checkUpcastRules(type: string, rules: unknown): UpcastRule[] {
  const refuse = (reason: string): never => {
    throw new TributaryError('INVALID_SCHEMA', `the upcaster of ${JSON.stringify(type)} is not usable: ${reason}`, { type, reason });
  };
  if (!Array.isArray(rules) || rules.length === 0) refuse('rules must be a non-empty array');
  if ((rules as unknown[]).length > MAX_UPCAST_RULES) refuse(`at most ${MAX_UPCAST_RULES} rules`);
  return (rules as unknown[]).map((rule, index) => {
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return refuse(`rule ${index} must be an object`);
    const { op } = rule as { op?: unknown };
    const fields = typeof op === 'string' && Object.hasOwn(FIELDS, op) ? FIELDS[op as UpcastRule['op']] : undefined;
    if (fields === undefined) return refuse(`rule ${index}: op must be rename, move, default or drop, got ${String(JSON.stringify(op))}`);
    const extra = Object.keys(rule).find((key) => !fields.includes(key));
    if (extra !== undefined) refuse(`rule ${index} (${String(op)}): unknown field ${JSON.stringify(extra)}`);
    for (const field of fields.filter((name) => name === 'path' || name === 'from' || (name === 'to' && op === 'move'))) {
      const pointer = (rule as Record<string, unknown>)[field];
      if (typeof pointer !== 'string' || parsePointer(pointer) === undefined) {
        refuse(`rule ${index} (${String(op)}): ${field} must be a JSON Pointer to a member, like /customer/id`);
      }
    }
    if (op === 'rename') {
      const to = (rule as { to?: unknown }).to;
      if (typeof to !== 'string' || to === '' || to === '__proto__') refuse(`rule ${index} (rename): to must be the member's new name`);
    }
    if (op === 'default') {
      if (!Object.hasOwn(rule, 'value')) refuse(`rule ${index} (default): value is required`);
      if (exceedsJsonDepth((rule as { value: unknown }).value, MAX_JSON_DEPTH)) refuse(`rule ${index} (default): value nests too deep`);
    }
    return rule as UpcastRule;
  });
}

/**
 * Applies the rules to `data` in order, changing it in place (it was parsed for
 * this read alone) and returning it. A rule whose source is missing does nothing.
 */
export function applyUpcastRules(data: unknown, rules: readonly UpcastRule[]): unknown {
  for (const rule of rules) {
    switch (rule.op) {
      case 'rename': {
        const path = parsePointer(rule.path)!;
        const parent = containerAt(data, path.slice(0, -1), false);
        const name = path.at(-1)!;
        if (parent !== undefined && Object.hasOwn(parent, name)) {
          const value = parent[name];
          delete parent[name];
          parent[rule.to] = value;
        }
        break;
      }
      case 'move': {
        const from = parsePointer(rule.from)!;
        const source = containerAt(data, from.slice(0, -1), false);
        const name = from.at(-1)!;
        if (source === undefined || !Object.hasOwn(source, name)) break;
        const to = parsePointer(rule.to)!;
        const value = source[name];
        delete source[name];
        const target = containerAt(data, to.slice(0, -1), true);
        if (target !== undefined) target[to.at(-1)!] = value;
        break;
      }
      case 'default': {
        const path = parsePointer(rule.path)!;
        const parent = containerAt(data, path.slice(0, -1), true);
        if (parent !== undefined && !Object.hasOwn(parent, path.at(-1)!)) parent[path.at(-1)!] = structuredClone(rule.value);
        break;
      }
      case 'drop': {
        const path = parsePointer(rule.path)!;
        const parent = containerAt(data, path.slice(0, -1), false);
        if (parent !== undefined) delete parent[path.at(-1)!];
        break;
      }
    }
  }
  return data;
}

/** The reference tokens of a JSON Pointer to a member (RFC 6901), or undefined when it is not one: `''` names the whole document, which no rule may. */
function parsePointer(pointer: string): string[] | undefined {
  if (!pointer.startsWith('/')) return undefined;
  const tokens = pointer.slice(1).split('/');
  if (tokens.some((token) => /~[^01]|~$/.test(token))) return undefined;
  const names = tokens.map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
  // assigning __proto__ would swap an object's prototype instead of setting a member
  return names.includes('__proto__') ? undefined : names;
}

type JsonObject = Record<string, unknown>;

/** The object at `path` under `data`; created on the way when `create`, never through something that is not an object. */
function containerAt(data: unknown, path: readonly string[], create: boolean): JsonObject | undefined {
  let node = data;
  for (const token of path) {
    if (!isObject(node)) return undefined;
    if (!Object.hasOwn(node, token) && create) node[token] = {};
    node = node[token];
  }
  return isObject(node) ? node : undefined;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
