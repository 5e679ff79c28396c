import type { EventRow } from '../../store/sql-rows.js';

/** A page of copied event rows as JSON text: each row is already text and numbers, so one stringify per row and no response schema walk. */
export function copyEventsText(rows: readonly EventRow[]): string {
  let text = '{"events":[';
  for (let i = 0; i < rows.length; i++) text += (i === 0 ? '' : ',') + JSON.stringify(rows[i]);
  return text + ']}';
}
