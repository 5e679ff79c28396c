import { describe, expect, it } from 'vitest';
import { RecordedEvent } from '../../src/core/event.js';
import { storedVersion } from '../../src/schemas/upcasters.js';

const event = (metadataJson: string | null) => new RecordedEvent('00000000-0000-4000-8000-000000000001', 'order-1', 'OrderPlaced', 0, 1, '{}', metadataJson, 0);

/** The answer read from the parsed metadata, which the quick path must always agree with. */
function parsedVersion(metadataJson: string | null): number | undefined {
  if (metadataJson === null) return 1;
  const metadata = JSON.parse(metadataJson) as Record<string, unknown>;
  if (!Object.hasOwn(metadata, 'schemaVersion')) return metadataJson.includes('"schemaVersion"') ? undefined : 1;
  const version = metadata['schemaVersion'];
  return typeof version === 'number' && Number.isSafeInteger(version) && version >= 1 ? version : undefined;
}

describe('the version an event was written as', () => {
  it.each([
    null,
    '{}',
    '{"schemaVersion":1}',
    '{"schemaVersion":12}',
    '{"correlationId":"c-1","schemaVersion":3}',
    '{"schemaVersion": 2}',
    '{"schemaVersion":2,"correlationId":"c-1"}',
    '{"custom":{"schemaVersion":5}}',
    '{"custom":{"a":1,"schemaVersion":5}}',
    '{"note":"x\\",\\"schemaVersion\\":4}","schemaVersion":2}',
    '{"note":"ends in a quote \\"schemaVersion\\":7}"}',
    '{"schemaVersion":0}',
    '{"schemaVersion":1.5}',
    '{"schemaVersion":99999999999999999999}',
    '{"schemaVersion":"2"}',
    '{"schemaVersion":4,"schemaVersion":6}',
  ])('of metadata %s is what its parsed metadata says', (metadataJson) => {
    expect(storedVersion(event(metadataJson))).toBe(parsedVersion(metadataJson));
  });
});
