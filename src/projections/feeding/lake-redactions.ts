import { categoryOf } from '../../core/stream-name.js';
import { REDACTIONS_STREAM } from '../../store/audit.js';
import type { EventStore } from '../../store/event-store.js';
import type { EventRedactedData } from '../../store/redaction.js';
import type { LakeRedaction } from '../sinks/lake-redaction.js';
import type { LakeWriter } from '../sinks/lake-writer.js';

/** How many redactions the store has made: the length of `$audit-redactions`. One stream-info read. */
export async function redactionsMade(store: EventStore): Promise<number> {
  return (await store.streamInfo(REDACTIONS_STREAM)).lastRevision + 1;
}

/**
 * Brings a lake in line with the redactions made since it last looked: the
 * audit trail, not a call from the redacting process, is what it follows, so
 * a redaction made by another process, or while no writer ran, reaches every
 * lake on its next look. The redactions are taken in order, up to the first
 * of an event the lake's files do not reach yet (its rows may still be in
 * the buffer, read before the redaction): that one waits for a later roll.
 */
export async function applyLakeRedactions(store: EventStore, writer: LakeWriter): Promise<void> {
  const made = await redactionsMade(store);
  if (made <= writer.redactions) return;
  const due: LakeRedaction[] = [];
  let handled = writer.redactions;
  let from: number | null = handled;
  pages: while (from !== null) {
    const page = await store.readStream(REDACTIONS_STREAM, { from, limit: 1000, raw: true });
    for (const event of page.events) {
      const { position, stream } = event.data as EventRedactedData;
      if (position > writer.position) break pages;
      due.push({ position, category: categoryOf(stream) });
      handled = event.revision + 1;
    }
    from = page.next;
  }
  if (handled > writer.redactions) await writer.redact(due, handled);
}
