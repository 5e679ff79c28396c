import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TributaryError, invalidArgument, isTributaryError } from '../../core/errors.js';
import type { JsonSchema, SchemaRegistry } from '../../store/schema-registry.js';
import type { CommandContext } from '../context.js';
import { write } from '../output.js';
import { checkReportLines, type SchemaCheckResult } from '../schema-check-report.js';
import { schemaRegistryOf } from '../schema-registry-of.js';

/** A proposed next schema read from `<dir>/<Type>.json`, or why it could not be read. */
type Proposal = { file: string; type: string } & ({ schema: JsonSchema } | { problem: TributaryError });

/**
 * `tributary schema check <dir> [--json]`: checks every `<dir>/<Type>.json` as
 * the next schema of `<Type>` (the file name URI-decoded) against the
 * registry's rules, registering nothing, and reports each type. Fails with
 * SCHEMA_INCOMPATIBLE when one would break its type's compatibility mode, else
 * INVALID_SCHEMA when one is not a valid schema (the CLI exits 1), so CI
 * stops before a producer ships it.
 *
 * ```ts
 * await schemaCheck({ ...context, values: { json: true } }, ['schemas/']);
 * ```
 */
export async function schemaCheck(context: CommandContext, args: string[]): Promise<void> {
  if (args.length !== 1) throw invalidArgument('schema check', `takes one directory of <Type>.json files, got ${args.length} arguments`);
  const proposals = await readProposals(args[0]!);
  const store = await context.openStore({ create: false });
  let results: SchemaCheckResult[];
  try {
    const registry = schemaRegistryOf(store);
    results = [];
    // one at a time, in name order: the report reads the same on every run
    for (const proposal of proposals) results.push(await check(registry, proposal));
  } finally {
    await store.close();
  }
  const json = context.values['json'] === true;
  const compatible = results.every((result) => result.compatible);
  await write(context.stdout, json ? JSON.stringify({ compatible, results }) + '\n' : checkReportLines(results));
  if (!compatible) throw failure(results);
}

async function readProposals(directory: string): Promise<Proposal[]> {
  let names: string[];
  try {
    names = (await readdir(directory, { withFileTypes: true })).filter((entry) => entry.isFile() && entry.name.endsWith('.json')).map((entry) => entry.name);
  } catch (error) {
    throw invalidArgument('schema check', `cannot read the directory ${JSON.stringify(directory)}: ${(error as Error).message}`);
  }
  if (names.length === 0) throw invalidArgument('schema check', `found no <Type>.json files in ${JSON.stringify(directory)}`);
  const proposals = await Promise.all(names.map((name) => readProposal(directory, name)));
  return proposals.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

async function readProposal(directory: string, file: string): Promise<Proposal> {
  const encoded = file.slice(0, -'.json'.length);
  let type: string;
  try {
    type = decodeURIComponent(encoded);
  } catch {
    return { file, type: encoded, problem: invalidFile(file, 'has a name that is not a URI-encoded event type') };
  }
  try {
    return { file, type, schema: JSON.parse(await readFile(join(directory, file), 'utf8')) as JsonSchema };
  } catch (error) {
    return { file, type, problem: invalidFile(file, `is not JSON: ${(error as Error).message}`) };
  }
}

async function check(registry: SchemaRegistry, proposal: Proposal): Promise<SchemaCheckResult> {
  const { file, type } = proposal;
  if ('problem' in proposal) return { file, type, valid: false, compatible: false, error: proposal.problem.toJSON() };
  try {
    return { file, valid: true, ...(await registry.check(type, proposal.schema)) };
  } catch (error) {
    if (!isTributaryError(error, 'INVALID_SCHEMA')) throw error;
    return { file, type, valid: false, compatible: false, error: { ...error.toJSON(), message: `${file}: ${error.message}` } };
  }
}

function invalidFile(file: string, reason: string): TributaryError {
  return new TributaryError('INVALID_SCHEMA', `${file} ${reason}`, { file });
}

function failure(results: readonly SchemaCheckResult[]): TributaryError {
  const incompatible = results.filter((result) => result.valid && !result.compatible).map((result) => result.type);
  const invalid = results.filter((result) => !result.valid).map((result) => result.type);
  const parts = [
    incompatible.length > 0 ? `${incompatible.length} incompatible (${incompatible.join(', ')})` : '',
    invalid.length > 0 ? `${invalid.length} invalid (${invalid.join(', ')})` : '',
  ].filter((part) => part !== '');
  const message = `${parts.join(' and ')} of ${results.length} proposed schemas; nothing was registered`;
  return new TributaryError(incompatible.length > 0 ? 'SCHEMA_INCOMPATIBLE' : 'INVALID_SCHEMA', message, { incompatible, invalid });
}
