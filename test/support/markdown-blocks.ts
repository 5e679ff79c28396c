import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from './package-entries.js';

/** A fenced code block of a Markdown document. */
export interface CodeBlock {
  document: string;
  /** The 1-based line of the block's first line of code. */
  line: number;
  /** The first word of the info string (`ts`, `sh`, …). */
  language: string;
  /** The rest of the info string, word by word (```ts fragment → ['fragment']). */
  flags: string[];
  code: string;
}

/** The fenced code blocks of `document` (a path relative to the project), in order. */
export function codeBlocks(document: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let open: { fence: string; language: string; flags: string[]; line: number; code: string[] } | undefined;
  readFileSync(resolve(ROOT, document), 'utf8').split('\n').forEach((text, index) => {
    if (open !== undefined) {
      if (text.trim() !== open.fence) open.code.push(text);
      else {
        blocks.push({ document, line: open.line, language: open.language, flags: open.flags, code: open.code.join('\n') });
        open = undefined;
      }
      return;
    }
    const start = /^(`{3,}|~{3,})\s*(.*)$/.exec(text.trim());
    if (start === null) return;
    const [language = '', ...flags] = start[2]!.split(/\s+/).filter((word) => word !== '');
    open = { fence: start[1]!, language, flags, line: index + 2, code: [] };
  });
  if (open !== undefined) throw new Error(`${document}:${open.line - 1}: a code block is never closed`);
  return blocks;
}
