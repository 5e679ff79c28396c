import type { RecordedEvent } from '../../core/event.js';

/** A page as JSON text, built around each event's stored JSON without parsing it. */
export function pageText(page: { events: readonly RecordedEvent[]; next: number | null }): string {
  let text = '{"events":[';
  for (let i = 0; i < page.events.length; i++) text += (i === 0 ? '' : ',') + page.events[i]!.toJsonText();
  return text + '],"next":' + String(page.next) + '}';
}
