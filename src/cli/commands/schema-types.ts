import { invalidArgument } from '../../core/errors.js';
import { generateSchemaTypes } from '../../schemas/schema-types.js';
import type { SchemaRegistry, SchemaVersion } from '../../store/schema-registry.js';
import { stringFlag } from '../arguments.js';
import { writeFileAtomically } from '../atomic-file.js';
import type { CommandContext } from '../context.js';
import { write } from '../output.js';
import { schemaRegistryOf } from '../schema-registry-of.js';

/**
 * `tributary schema types [--out file]`: TypeScript for every registered event
 * type and version, written whole to `--out` or printed.
 *
 * ```ts
 * await schemaTypes({ ...context, values: { out: 'src/events.generated.ts' } }, []);
 * ```
 */
export async function schemaTypes(context: CommandContext, args: string[]): Promise<void> {
  if (args.length > 0) throw invalidArgument('schema types', `takes no arguments, got ${JSON.stringify(args.join(' '))}`);
  const out = stringFlag(context.values['out']);
  if (out === '') throw invalidArgument('--out', 'must name a file');
  const store = await context.openStore({ create: false });
  let types: string;
  try {
    types = await generateSchemaTypes(await everyVersion(schemaRegistryOf(store)), { source: store.location });
  } finally {
    await store.close();
  }
  if (out === undefined) await write(context.stdout, types);
  else await writeFileAtomically(out, types);
}

async function everyVersion(registry: SchemaRegistry): Promise<SchemaVersion[]> {
  const registered = (await registry.list()).filter((summary) => summary.latest > 0);
  const details = await Promise.all(registered.map((summary) => registry.describe(summary.type)));
  return details.flatMap((detail) => detail.versions);
}
