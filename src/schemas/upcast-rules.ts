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

/** A rule with its pointers parsed, as each read applies it. */
type PreparedRule =
  | { op: 'rename'; parent: readonly string[]; name: string; to: string }
  | { op: 'move'; fromParent: readonly string[]; fromName: string; toParent: readonly string[]; toName: string }
  | { op: 'default'; parent: readonly string[]; name: string; value: unknown; clone: boolean }
  | { op: 'drop'; parent: readonly string[]; name: string };

// each stored step's rules are parsed once, not once per event read; keyed by the registry's own arrays, so they go with them
const prepared = new WeakMap<readonly UpcastRule[], PreparedRule[]>();

function prepare(rules: readonly UpcastRule[]): PreparedRule[] {
  let steps = prepared.get(rules);
  if (steps !== undefined) return steps;
  steps = rules.map((rule): PreparedRule => {
    switch (rule.op) {
      case 'rename': {
        const path = parsePointer(rule.path)!;
        return { op: 'rename', parent: path.slice(0, -1), name: path.at(-1)!, to: rule.to };
      }
      case 'move': {
        const from = parsePointer(rule.from)!;
        const to = parsePointer(rule.to)!;
        return { op: 'move', fromParent: from.slice(0, -1), fromName: from.at(-1)!, toParent: to.slice(0, -1), toName: to.at(-1)! };
      }
      case 'default': {
        const path = parsePointer(rule.path)!;
        return { op: 'default', parent: path.slice(0, -1), name: path.at(-1)!, value: rule.value, clone: typeof rule.value === 'object' && rule.value !== null };
      }
      case 'drop': {
        const path = parsePointer(rule.path)!;
        return { op: 'drop', parent: path.slice(0, -1), name: path.at(-1)! };
      }
    }
  });
  prepared.set(rules, steps);
  return steps;
}

/**
 * Applies the rules to `data` in order, changing it in place (it was parsed for
 * this read alone) and returning it, or the object that replaced it. A rule
 * whose source is missing does nothing.
 */
export function applyUpcastRules(data: unknown, rules: readonly UpcastRule[]): unknown {
  const root = { data };
  for (const rule of prepare(rules)) {
    switch (rule.op) {
      case 'rename': {
        const parent = containerAt(root, rule.parent, false);
        if (parent !== undefined && Object.hasOwn(parent, rule.name)) {
          const value = parent[rule.name];
          replace(root, rule.parent, without(parent, rule.name))[rule.to] = value;
        }
        break;
      }
      case 'move': {
        const source = containerAt(root, rule.fromParent, false);
        if (source === undefined || !Object.hasOwn(source, rule.fromName)) break;
        const value = source[rule.fromName];
        replace(root, rule.fromParent, without(source, rule.fromName));
        const target = containerAt(root, rule.toParent, true);
        if (target !== undefined) target[rule.toName] = value;
        break;
      }
      case 'default': {
        const parent = containerAt(root, rule.parent, true);
        if (parent !== undefined && !Object.hasOwn(parent, rule.name)) parent[rule.name] = rule.clone ? structuredClone(rule.value) : rule.value;
        break;
      }
      case 'drop': {
        const parent = containerAt(root, rule.parent, false);
        if (parent !== undefined && Object.hasOwn(parent, rule.name)) replace(root, rule.parent, without(parent, rule.name));
        break;
      }
    }
  }
  return root.data;
}

/**
 * A copy of `object` without its member `name`, the others in their order. A
 * copy rather than `delete`: V8 turns an object a member is deleted from into a
 * slow dictionary, which every later read and JSON.stringify of it pays for.
 */
function without(object: JsonObject, name: string): JsonObject {
  const copy: JsonObject = {};
  for (const key of Object.keys(object)) {
    if (key === name) continue;
    // a parsed `__proto__` member is an own property; assigning it would set the copy's prototype instead
    if (key === '__proto__') Object.defineProperty(copy, key, { value: object[key], writable: true, enumerable: true, configurable: true });
    else copy[key] = object[key];
  }
  return copy;
}

/** Puts `object` at `path` under the root holder (the container there was found by containerAt) and returns it. */
function replace(root: { data: unknown }, path: readonly string[], object: JsonObject): JsonObject {
  if (path.length === 0) {
    root.data = object;
    return object;
  }
  const holder = containerAt(root, path.slice(0, -1), false)!;
  holder[path.at(-1)!] = object;
  return object;
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

/** The object at `path` under the root holder's data; created on the way when `create`, never through something that is not an object. */
function containerAt(root: { data: unknown }, path: readonly string[], create: boolean): JsonObject | undefined {
  let node = root.data;
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
