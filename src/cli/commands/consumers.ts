import { invalidArgument } from '../../core/errors.js';
import { consumerStatus, type ConsumerStatus } from '../../subscriptions/status.js';
import type { Command } from '../context.js';
import { write } from '../output.js';

export const consumersCommand: Command = {
  name: 'consumers',
  summary: 'list consumers with their checkpoint, lag, state and parked count',
  usage: `tributary consumers [<name>...] [--json]
    prints one line per consumer: name, state, checkpoint/head, lag in events and seconds,
    parked events and members; --json prints the full status objects as an array`,
  options: {
    json: { type: 'boolean' },
  },
  async run({ values, positionals, openStore, stdout }) {
    const store = await openStore({ create: false });
    try {
      const statuses = await consumerStatus(store, positionals.length === 0 ? undefined : positionals);
      const missing = positionals.filter((name) => !statuses.some((status) => status.name === name));
      if (missing.length > 0) throw invalidArgument('consumer', `no consumer named ${missing.join(', ')}`);
      if (values['json'] === true) {
        await write(stdout, JSON.stringify(statuses) + '\n');
        return;
      }
      await write(stdout, statuses.map(textLine).join(''));
    } finally {
      await store.close();
    }
  },
};

function textLine(status: ConsumerStatus): string {
  const members = status.members.map((member) => `${member.member}(${member.partitions.length})`).join(',') || '-';
  return [
    status.name,
    status.state,
    `${status.checkpoint}/${status.head}`,
    `lag=${status.lagEvents}`,
    `lag_s=${status.lagSeconds.toFixed(1)}`,
    `parked=${status.parked}`,
    `members=${members}`,
  ].join('\t') + '\n';
}
