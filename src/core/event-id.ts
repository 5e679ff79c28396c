import { randomFillSync } from 'node:crypto';

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// random bytes are drawn from a pool: one syscall per 1024 ids instead of one per id
const random = Buffer.alloc(8 * 1024);
let randomOffset = random.length;
let lastMillis = -1;
let counter = 0;

/**
 * A new UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, a 12-bit
 * counter that keeps ids from one process increasing within a millisecond,
 * and 62 random bits. Time-ordered ids land at the right edge of the id
 * index instead of at random pages, which is what keeps appends fast.
 */
export function newEventId(): string {
  let millis = Date.now();
  if (millis <= lastMillis) {
    millis = lastMillis;
    counter++;
    if (counter > 0xfff) {
      // the counter ran out inside one millisecond: borrow the next millisecond
      millis = ++lastMillis;
      counter = 0;
    }
  } else {
    lastMillis = millis;
    counter = 0;
  }
  if (randomOffset + 8 > random.length) {
    randomFillSync(random);
    randomOffset = 0;
  }
  const r = randomOffset;
  randomOffset += 8;
  const high = Math.floor(millis / 0x1000000);
  const low = millis % 0x1000000;
  return (
    HEX[(high >>> 16) & 0xff]! +
    HEX[(high >>> 8) & 0xff]! +
    HEX[high & 0xff]! +
    HEX[(low >>> 16) & 0xff]! +
    '-' +
    HEX[(low >>> 8) & 0xff]! +
    HEX[low & 0xff]! +
    '-' +
    HEX[0x70 | (counter >>> 8)]! +
    HEX[counter & 0xff]! +
    '-' +
    HEX[0x80 | (random[r]! & 0x3f)]! +
    HEX[random[r + 1]!]! +
    '-' +
    HEX[random[r + 2]!]! +
    HEX[random[r + 3]!]! +
    HEX[random[r + 4]!]! +
    HEX[random[r + 5]!]! +
    HEX[random[r + 6]!]! +
    HEX[random[r + 7]!]!
  );
}

/** True for a UUID in its 8-4-4-4-12 hex form, of any version. */
export function isEventId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
