import type { Command } from '../context.js';
import { write } from '../output.js';

export const categoriesCommand: Command = {
  name: 'categories',
  summary: 'list categories with how many streams each holds',
  usage: `tributary categories [--json]
    prints "<category> <streams>" per line, or with --json an array of {"category","streams"}`,
  options: { json: { type: 'boolean' } },
  async run({ values, openStore, stdout }) {
    const store = await openStore({ create: false });
    try {
      const categories = await store.listCategories();
      if (values['json'] === true) await write(stdout, JSON.stringify(categories) + '\n');
      else await write(stdout, categories.map((c) => `${c.category}\t${c.streams}\n`).join(''));
    } finally {
      await store.close();
    }
  },
};
