import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { TributaryError, invalidArgument } from '../../core/errors.js';
import type { EventStore } from '../../store/event-store.js';
import type { Compatibility, JsonSchema, SchemaRegistry, UpcastRule, ValidationMode } from '../../store/schema-registry.js';
import { integerFlag, stringFlag, stringList } from '../arguments.js';
import type { Command } from '../context.js';
import { write } from '../output.js';
import { modeLines, typeLines, typeText } from '../schema-text.js';

// the subcommands that change the registry may start a database, as append does; the others need one that exists
const WRITING = new Set(['add', 'upcast']);

export const schemaCommand: Command = {
  name: 'schema',
  summary: "register event types' schemas; set validation modes, compatibility and upcasters",
  usage: `tributary schema add <type> <schema.json> [--category C]... [--json]
    registers the JSON Schema (2020-12) in the file as the next version of <type>, checked against its
    compatibility mode (SCHEMA_INCOMPATIBLE lists what breaks); a schema equal to the latest registers nothing.
    --category names a category the type is written to: over HTTP they decide who may see and change it
  tributary schema list [--json]
    one line per event type: type, latest version, compatibility, categories, upcasters
  tributary schema show <type> [--version N|latest] [--json]
    the type's versions, schemas and upcaster rules; --version prints that version's schema alone
  tributary schema mode [<category> [enforce|warn|off]]
    lists the categories' validation modes, shows one, or sets it: enforce refuses a whole append with a
    bad event (SCHEMA_VALIDATION_FAILED), warn stores it and counts it, off (the default) checks nothing
  tributary schema compat <type> [BACKWARD|BACKWARD_TRANSITIVE|FORWARD|FORWARD_TRANSITIVE|FULL|FULL_TRANSITIVE|NONE]
    shows or sets the compatibility mode later versions of <type> are checked against (default BACKWARD)
  tributary schema upcast <type> <fromVersion> <rules.json>
    stores the declarative rules (a JSON array of {"op":"rename"|"move"|"default"|"drop",…}) that upcast
    data of <fromVersion> to the next version, replacing earlier ones
  tributary schema types [--out <file>]
    TypeScript for every registered version and a TributaryEvents map of each type's latest, written
    to <file> (replaced whole) or printed
  tributary schema check <dir> [--json]
    checks every <dir>/<Type>.json as the next schema of <Type> against the registry's rules, registering
    nothing: one report per type; exits 1 when any is incompatible or invalid`,
  options: {
    category: { type: 'string', multiple: true },
    version: { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
  },
  async run(context) {
    const { values, positionals, openStore, stdout } = context;
    const [action, ...rest] = positionals;
    // these two open the store themselves, and only to read it
    if (action === 'types') return (await import('./schema-types.js')).schemaTypes(context, rest);
    if (action === 'check') return (await import('./schema-check.js')).schemaCheck(context, rest);
    const writes = WRITING.has(action ?? '') || ((action === 'mode' || action === 'compat') && rest.length === 2);
    const store = await openStore({ create: writes });
    try {
      const registry = registryOf(store);
      const json = values['json'] === true;
      if (action === 'add') {
        const [type, file] = exactly<[string, string]>(rest, 2, 'schema add', '<type> <schema.json>');
        const schema = (await jsonFile('<schema.json>', file)) as JsonSchema;
        const categories = stringList(values['category']);
        const head = await store.headPosition();
        const version = await registry.register(type, schema, categories === undefined ? {} : { categories });
        const outcome = version.position > head ? 'registered' : 'unchanged, the schema equals';
        return await write(stdout, json ? JSON.stringify(version) + '\n' : `${type}: ${outcome} version ${version.version}\n`);
      }
      if (action === 'list') {
        exactly<[]>(rest, 0, 'schema list', 'no arguments');
        const types = await registry.list();
        return await write(stdout, json ? JSON.stringify(types) + '\n' : typeLines(types));
      }
      if (action === 'show') return await show(registry, rest, values, stdout);
      if (action === 'mode') return await mode(registry, rest, json, stdout);
      if (action === 'compat') return await compat(registry, rest, json, stdout);
      if (action === 'upcast') {
        const [type, from, file] = exactly<[string, string, string]>(rest, 3, 'schema upcast', '<type> <fromVersion> <rules.json>');
        const fromVersion = integerFlag('<fromVersion>', from)!;
        await registry.addUpcaster(type, fromVersion, (await jsonFile('<rules.json>', file)) as UpcastRule[]);
        return await write(stdout, `${type}: upcaster ${fromVersion} -> ${fromVersion + 1} stored\n`);
      }
      throw invalidArgument('schema', `takes add, list, show, mode, compat, upcast, types or check, got ${JSON.stringify(action ?? '')}`);
    } finally {
      await store.close();
    }
  },
};

async function show(registry: SchemaRegistry, rest: string[], values: Record<string, unknown>, stdout: Writable): Promise<void> {
  const [type] = exactly<[string]>(rest, 1, 'schema show', '<type>');
  const json = values['json'] === true;
  const wanted = stringFlag(values['version']);
  if (wanted === undefined) {
    const details = await registry.describe(type);
    return write(stdout, json ? JSON.stringify(details) + '\n' : typeText(details));
  }
  const version = await registry.version(type, wanted === 'latest' ? 'latest' : integerFlag('version', wanted)!);
  return write(stdout, json ? JSON.stringify(version) + '\n' : JSON.stringify(version.schema, null, 2) + '\n');
}

async function mode(registry: SchemaRegistry, rest: string[], json: boolean, stdout: Writable): Promise<void> {
  if (rest.length > 2) throw invalidArgument('schema mode', 'takes at most <category> and a mode');
  const [category, wanted] = rest;
  if (wanted !== undefined) {
    // an unknown mode is the registry's to refuse, with the code every door gives it
    await registry.setMode(category!, wanted as ValidationMode);
    return write(stdout, json ? JSON.stringify({ category, mode: wanted }) + '\n' : `${category!}: ${wanted}\n`);
  }
  const modes = await registry.modes();
  if (category === undefined) return write(stdout, json ? JSON.stringify(modes) + '\n' : modeLines(modes));
  const current = { category, mode: modes.find((entry) => entry.category === category)?.mode ?? 'off' };
  return write(stdout, json ? JSON.stringify(current) + '\n' : `${category}: ${current.mode}\n`);
}

async function compat(registry: SchemaRegistry, rest: string[], json: boolean, stdout: Writable): Promise<void> {
  if (rest.length < 1 || rest.length > 2) throw invalidArgument('schema compat', 'takes <type> and optionally a compatibility mode');
  const [type, wanted] = rest as [string, string | undefined];
  if (wanted !== undefined) await registry.setCompatibility(type, wanted as Compatibility);
  const compatibility = wanted ?? (await registry.describe(type)).compatibility;
  return write(stdout, json ? JSON.stringify({ type, compatibility }) + '\n' : `${type}: ${compatibility}\n`);
}

/** The arguments after the subcommand, when there are exactly as many as it takes. */
function exactly<T extends string[]>(rest: string[], count: T['length'], command: string, expected: string): T {
  if (rest.length !== count) throw invalidArgument(command, `takes ${expected}, got ${rest.length === 0 ? 'none' : rest.join(' ')}`);
  return rest as T;
}

async function jsonFile(name: string, path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw invalidArgument(name, `${JSON.stringify(path)} cannot be read: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidArgument(name, `${JSON.stringify(path)} is not JSON: ${(error as Error).message}`);
  }
}

function registryOf(store: EventStore): SchemaRegistry {
  if (store.schemas === undefined) {
    throw new TributaryError('UNSUPPORTED_DATABASE', `${store.location} was opened without its schema registry`, { location: store.location });
  }
  return store.schemas;
}
