import type { Command } from '../context.js';
import { write } from '../output.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: "create or upgrade the database's schema, then exit",
  usage: `tributary migrate
    creates Tributary's tables, or applies the migrations a newer version brings.
    Every command also does this when it opens the database; run it on its own before
    starting many processes against a new PostgreSQL database, or from a deploy step.`,
  options: {},
  async run({ openStore, stdout }) {
    const store = await openStore();
    try {
      await write(stdout, `schema of ${store.location} is up to date\n`);
    } finally {
      await store.close();
    }
  },
};
