import { TributaryError, invalidArgument } from '../../core/errors.js';
import type { EventStore } from '../../store/event-store.js';
import type { PersonalData } from '../../store/personal-data.js';
import { stringFlag, stringList } from '../arguments.js';
import type { Command } from '../context.js';
import { write } from '../output.js';

export const privacyCommand: Command = {
  name: 'privacy',
  summary: "declare and show a category's personal fields (encrypted per subject, forgotten with tributary forget)",
  usage: `tributary privacy declare <category> --subject data.<path> --field data.<path> [--field data.<path>]... [--json]
tributary privacy show <category> [--json]
tributary privacy list [--json]
    declare prints the paths no sampled event of the category has (accepted all the same)`,
  options: {
    subject: { type: 'string' },
    field: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, openStore, stdout }) {
    const [action, ...rest] = positionals;
    const json = values['json'] === true;
    const store = await openStore({ create: action === 'declare' });
    try {
      const privacy = privacyOf(store);
      if (action === 'declare' || action === 'show') {
        if (rest.length !== 1) throw invalidArgument(`privacy ${action}`, 'takes one category');
        const category = rest[0]!;
        if (action === 'declare') {
          const answer = await privacy.declare(category, { subject: stringFlag(values['subject']) ?? '', fields: stringList(values['field']) ?? [] });
          const unused = answer.unusedPaths.length === 0 ? '' : `; no event of the first ${answer.sampled} has ${answer.unusedPaths.join(', ')}`;
          await write(stdout, json ? JSON.stringify(answer) + '\n' : `declared ${category}: subject ${answer.subject}, fields ${answer.fields.join(', ')}${unused}\n`);
        } else {
          const declaration = (await privacy.get(category)) ?? null;
          const text = declaration === null ? `${category} declares no personal fields\n` : `${category}\t${declaration.subject}\t${declaration.fields.join(',')}\n`;
          await write(stdout, json ? JSON.stringify({ declaration }) + '\n' : text);
        }
      } else if (action === 'list') {
        const list = await privacy.list();
        await write(stdout, json ? JSON.stringify(list) + '\n' : list.map((d) => `${d.category}\t${d.subject}\t${d.fields.join(',')}\n`).join(''));
      } else {
        throw invalidArgument('privacy', `takes declare, show or list, got ${JSON.stringify(action ?? '')}`);
      }
    } finally {
      await store.close();
    }
  },
};

export const forgetCommand: Command = {
  name: 'forget',
  summary: "forget a subject: delete its key so its personal values read as forgotten everywhere, with an audit event",
  usage: `tributary forget <subject> [--reason <text>] [--json]
    prints FORGOTTEN, or NO_KEY when the subject had no key (an audit event is appended either way)`,
  options: {
    reason: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, openStore, stdout }) {
    if (positionals.length !== 1) throw invalidArgument('forget', 'takes one subject');
    const store = await openStore({ create: false });
    try {
      const answer = await privacyOf(store).forget(positionals[0]!, { reason: stringFlag(values['reason']), by: 'cli' });
      await write(stdout, values['json'] === true ? JSON.stringify(answer) + '\n' : `${answer.outcome} ${answer.subject} (audit event at position ${answer.position})\n`);
    } finally {
      await store.close();
    }
  },
};

function privacyOf(store: EventStore): PersonalData {
  if (store.privacy === undefined) {
    throw new TributaryError('UNSUPPORTED_DATABASE', `${store.location} keeps no personal data: run privacy commands against the store's own database`, { location: store.location });
  }
  return store.privacy;
}
