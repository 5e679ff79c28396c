import { expect, it } from 'vitest';
import { EVENT_COLUMNS, EVENT_ROW, STREAM_COLUMNS, STREAM_ROW } from '../../src/store/sql-rows.js';

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

it.each([
  { row: 'STREAM_ROW', names: STREAM_ROW, columns: STREAM_COLUMNS },
  { row: 'EVENT_ROW', names: EVENT_ROW, columns: EVENT_COLUMNS },
])('$row names every column of the select list by its place in it', ({ names, columns }) => {
  const byPlace = Object.entries(names)
    .sort(([, a], [, b]) => a - b)
    .map(([name]) => snakeCase(name));
  expect(byPlace).toEqual(columns.split(', '));
});
