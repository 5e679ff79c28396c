import type { ErrorDetails } from '../core/errors.js';
import type { CompatibilityReport } from '../store/schema-registry.js';

/** What `schema check` found for one proposed schema file: the registry's report, or why it could not be checked. */
export type SchemaCheckResult =
  | ({ file: string; valid: true } & CompatibilityReport)
  | { file: string; type: string; valid: false; compatible: false; error: { code: string; message: string } & ErrorDetails };

/**
 * The lines people read: one per type, then each break indented under it.
 *
 * ```text
 * OrderPlaced: compatible (BACKWARD, checked against 1, 2): would register as version 3
 * OrderShipped: incompatible (BACKWARD), 1 break:
 *   against version 1, backward: field /carrier removed
 * Refund: invalid: Refund.json is not JSON: Unexpected token
 * ```
 */
export function checkReportLines(results: readonly SchemaCheckResult[]): string {
  return results.map((result) => linesOf(result).join('\n') + '\n').join('');
}

function linesOf(result: SchemaCheckResult): string[] {
  if (!result.valid) return [`${result.type}: invalid: ${result.error.message}`];
  const against = result.checkedAgainst.length === 0 ? 'checked against none' : `checked against ${result.checkedAgainst.join(', ')}`;
  if (result.compatible) return [`${result.type}: compatible (${result.compatibility}, ${against}): would register as version ${result.version}`];
  const count = `${result.breaks.length} ${result.breaks.length === 1 ? 'break' : 'breaks'}`;
  return [
    `${result.type}: incompatible (${result.compatibility}, ${against}), ${count}:`,
    ...result.breaks.map((broken) => `  against version ${broken.version}, ${broken.direction}: ${broken.message}`),
  ];
}
