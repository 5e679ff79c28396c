import { TributaryError, invalidArgument } from '../../core/errors.js';
import type { EventStore } from '../../store/event-store.js';
import type { TokenStore } from '../../store/token-store.js';
import { mintToken } from '../../server/tokens.js';
import { stringFlag, stringList } from '../arguments.js';
import type { Command } from '../context.js';
import { write } from '../output.js';

export const tokensCommand: Command = {
  name: 'tokens',
  summary: "create, list and revoke the HTTP server's bearer tokens",
  usage: `tributary tokens create --name N --scope S [--scope S]... [--json]
tributary tokens list [--json]
tributary tokens revoke <id>
    scopes: admin, read:*, read:<category>, write:*, write:<category> (writing a category includes reading it),
    personal:*, personal:<category> (reading its personal fields in plaintext, and the category; write and admin include it);
    a category holds no : - * , or spaces and does not start with $
    create prints the token once; only a hash of it is stored. Once a token exists, the server requires one.`,
  options: {
    name: { type: 'string' },
    scope: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
  async run({ values, positionals, openStore, stdout }) {
    const [action, ...rest] = positionals;
    const json = values['json'] === true;
    // only creating a token may create the database: listing or revoking on a mistyped path must not
    const store = await openStore({ create: action === 'create' });
    try {
      const tokens = tokenStoreOf(store);
      if (action === 'create') {
        const { token, record } = mintToken(stringFlag(values['name']) ?? '', stringList(values['scope']) ?? []);
        await tokens.create(record);
        await write(stdout, json ? JSON.stringify({ id: record.id, name: record.name, scopes: record.scopes, token }) + '\n' : `${token}\n`);
      } else if (action === 'list') {
        const list = await tokens.list();
        const text = list.map((t) => [t.id, t.name, t.scopes.join(','), t.revokedAt === null ? 'active' : 'revoked'].join('\t') + '\n').join('');
        await write(stdout, json ? JSON.stringify(list) + '\n' : text);
      } else if (action === 'revoke') {
        if (rest.length !== 1) throw invalidArgument('tokens revoke', 'takes one token id');
        if (!(await tokens.revoke(rest[0]!))) throw invalidArgument('token', `no active token with id ${rest[0]!}`);
        await write(stdout, json ? JSON.stringify({ revoked: rest[0] }) + '\n' : `revoked ${rest[0]!}\n`);
      } else {
        throw invalidArgument('tokens', `takes create, list or revoke, got ${JSON.stringify(action ?? '')}`);
      }
    } finally {
      await store.close();
    }
  },
};

function tokenStoreOf(store: EventStore): TokenStore {
  if (store.tokens === undefined) {
    throw new TributaryError('UNSUPPORTED_DATABASE', `${store.location} keeps no tokens: run tokens against the server's own database`, {
      location: store.location,
    });
  }
  return store.tokens;
}
