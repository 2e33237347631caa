import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { type Client, clientIsPermitted } from '../clients/client.entity';
import { CLIENT_FLAGS, ClientsService, type ClientFlag } from '../clients/clients.service';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { TOKEN_TYPES, type TokenType } from '../tokens/token.entity';
import { TokenPurgeService } from '../tokens/token-purge.service';
import { TokenService, toTokenListEntry, type TokenListEntry } from '../tokens/token.service';
import { UsersService } from '../users/users.service';

/**
 * With USER_STORE=ldap the directory owns the users (README: Users in LDAP): adding, removing
 * and changing them happens there, before anything is asked or read.
 */
function refuseWithDirectory(app: INestApplicationContext): void {
  if (app.get<AppConfig>(APP_CONFIG).userStore === 'ldap') {
    throw new Error(
      'users live in the LDAP directory (USER_STORE=ldap): add, remove and change them there',
    );
  }
}

/** A mistake in how the command was called: printed with the help, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command group whose help to print, or undefined for the whole CLI's. */
    readonly group?: string,
  ) {
    super(message);
  }
}

/** A command's result, printed to stdout as JSON. */
export type CommandOutput = unknown;

/**
 * Where a command that needs a password gets it when `--password` is not given: on a terminal
 * a prompt (twice, without echo), from a pipe one line of standard input (main.ts).
 */
export type PasswordSource = () => Promise<string>;

interface Command {
  /** The arguments after `<group> <action>`, as the help shows them. */
  readonly usage: string;
  readonly summary: string;
  run(app: INestApplicationContext, args: string[], password: PasswordSource): Promise<unknown>;
}

const FLAG_OPTIONS = '--super|--admin|--introspect|--permitted';

/** Every command, by `<group> <action>` (`migrate` stands alone); the help is made from here. */
const COMMANDS: Readonly<Record<string, Command>> = {
  'users add': {
    usage: '<username> [--password <pw>]',
    summary: 'create a user; without --password, prompt for it (or read one line from a pipe)',
    run: async (app, args, password) => {
      refuseWithDirectory(app);
      const { values, positionals } = parse(args, 'users', { password: { type: 'string' } });
      const username = single(positionals, 'a username', 'users');
      await app.get(UsersService).create(username, values.password ?? (await password()));
      return { username };
    },
  },
  'users list': {
    usage: '',
    summary: 'every user: id, username, creation time',
    run: async (app, args) => {
      parse(args, 'users', {});
      return (await app.get(UsersService).list()).map((user) => ({
        user_id: user.id,
        username: user.username,
        created_at: user.createdAt.toISOString(),
      }));
    },
  },
  'users passwd': {
    usage: '<username> [--password <pw>] [--keep-tokens]',
    summary: "set a user's password; revokes all their tokens unless --keep-tokens",
    run: async (app, args, password) => {
      refuseWithDirectory(app);
      const { values, positionals } = parse(args, 'users', {
        password: { type: 'string' },
        'keep-tokens': { type: 'boolean', default: false },
      });
      const username = single(positionals, 'a username', 'users');
      const revoked = await app
        .get(UsersService)
        .setPassword(username, values.password ?? (await password()), !values['keep-tokens']);
      return { username, tokens_revoked: revoked };
    },
  },
  'users remove': {
    usage: '<username>',
    summary: 'delete a user: their codes are deleted and their tokens revoked',
    run: async (app, args) => {
      refuseWithDirectory(app);
      const username = single(parse(args, 'users', {}).positionals, 'a username', 'users');
      if (!(await app.get(UsersService).remove(username))) {
        throw new Error(`No user "${username}".`);
      }
      return { username, removed: true };
    },
  },
  'clients add': {
    usage:
      `--name <n> --type confidential|public [--super] [--admin] [--introspect]\n` +
      '              [--redirect-uri <u>] [--url <u>] [--description <d>]',
    summary: 'register a client; prints its id and, for a confidential one, its secret (once)',
    run: (app, args) => addClient(app, args),
  },
  'clients list': {
    usage: '',
    summary: 'every client, never a secret',
    run: async (app, args) => {
      parse(args, 'clients', {});
      return (await app.get(ClientsService).list()).map(describeClient);
    },
  },
  'clients show': {
    usage: '<client_id>',
    summary: 'one client, never its secret',
    run: async (app, args) => {
      const clientId = single(parse(args, 'clients', {}).positionals, 'a client_id', 'clients');
      return describeClient(await app.get(ClientsService).require(clientId));
    },
  },
  'clients reset': {
    usage: '<client_id>',
    summary:
      'a new secret for a confidential client (super clients too); the old one stops working',
    run: async (app, args) => {
      const clientId = single(parse(args, 'clients', {}).positionals, 'a client_id', 'clients');
      return app.get(ClientsService).resetSecretOf(clientId);
    },
  },
  'clients update': {
    usage: '<client_id> --redirect-uri <u>',
    summary:
      "change a client's redirect URI (e.g. give the first super client the front end's page)",
    run: async (app, args) => {
      const { values, positionals } = parse(args, 'clients', {
        'redirect-uri': { type: 'string' },
      });
      const clientId = single(positionals, 'a client_id', 'clients');
      const redirectUri = values['redirect-uri'];
      if (redirectUri === undefined) throw new UsageError('--redirect-uri is required', 'clients');
      return {
        client_id: clientId,
        client_redirect_uri: await app.get(ClientsService).setRedirectUri(clientId, redirectUri),
      };
    },
  },
  'clients grant': {
    usage: `<client_id> ${FLAG_OPTIONS}`,
    summary: 'give a confidential client an operator flag (--permitted: a plugin may be installed)',
    run: (app, args) => setFlag(app, args, true),
  },
  'clients revoke-flag': {
    usage: `<client_id> ${FLAG_OPTIONS}`,
    summary: "take a flag away; removing super revokes the client's tokens",
    run: (app, args) => setFlag(app, args, false),
  },
  'clients remove': {
    usage: '<client_id>',
    summary: 'delete a client: its tokens are revoked and its codes deleted',
    run: async (app, args) => {
      const clientId = single(parse(args, 'clients', {}).positionals, 'a client_id', 'clients');
      await app.get(ClientsService).remove(clientId);
      return { client_id: clientId, removed: true };
    },
  },
  'tokens list': {
    usage: '<username> [--type access_token|refresh_token] [--client <client_id>]',
    summary: "a user's live tokens, by handle, as the admin API lists them",
    run: (app, args) => listTokens(app, args),
  },
  'tokens revoke': {
    usage: '<username> [--client <client_id>]',
    summary: "revoke a user's tokens (of one client with --client), local or directory user alike",
    run: async (app, args) => {
      const { values, positionals } = parse(args, 'tokens', { client: { type: 'string' } });
      const username = single(positionals, 'a username', 'tokens');
      const userId = await app.get(UsersService).findId(username);
      if (userId === null) throw new Error(`No user "${username}".`);
      const tokens = app.get(TokenService);
      const revoked =
        values.client === undefined
          ? await tokens.revokeForUser(userId)
          : await tokens.revokeForUserAndClient(userId, values.client);
      return { username, tokens_revoked: revoked };
    },
  },
  'tokens purge': {
    usage: '',
    summary: 'delete expired and revoked tokens and expired codes',
    run: async (app, args) => {
      parse(args, 'tokens', {});
      return { deleted: await app.get(TokenPurgeService).purge() };
    },
  },
  migrate: {
    usage: '',
    summary: 'apply pending migrations',
    run: async (app, args) => {
      parse(args, undefined, {});
      const applied = await app.get(DataSource).runMigrations({ transaction: 'each' });
      return { applied: applied.map((m) => m.name) };
    },
  },
};

const GROUPS = [...new Set(Object.keys(COMMANDS).map((name) => name.split(' ')[0] ?? name))];
const HELP_WORDS = new Set(['help', '--help', '-h']);

/** What the command line asks for: a command to run, or help to print. */
export type Invocation =
  { kind: 'run'; name: string; args: string[] } | { kind: 'help'; text: string };

/**
 * Reads argv without touching the database. `help`, `--help` and `-h` ask for the help of the
 * whole CLI, of a group (`users --help`) or of one command (`users add --help`).
 */
export function parseInvocation(argv: readonly string[]): Invocation {
  const [group, action, ...rest] = argv;
  if (group === undefined) throw new UsageError('no command given');
  if (HELP_WORDS.has(group)) return { kind: 'help', text: helpText() };
  if (!GROUPS.includes(group)) throw new UsageError(`unknown command "${group}"`);
  if (group === 'migrate') {
    const args = argv.slice(1);
    return args.some((a) => HELP_WORDS.has(a))
      ? { kind: 'help', text: helpText('migrate') }
      : { kind: 'run', name: 'migrate', args };
  }
  if (action === undefined || HELP_WORDS.has(action)) {
    if (action === undefined) throw new UsageError(`"${group}" needs a command`, group);
    return { kind: 'help', text: helpText(group) };
  }
  const name = `${group} ${action}`;
  if (!(name in COMMANDS)) throw new UsageError(`unknown command "${name}"`, group);
  if (rest.some((a) => a === '--help' || a === '-h')) {
    return { kind: 'help', text: helpText(group, name) };
  }
  return { kind: 'run', name, args: rest };
}

/** The help of the CLI, of one group, or of one command (`only`). */
export function helpText(group?: string, only?: string): string {
  const names = Object.keys(COMMANDS).filter(
    (name) => (group === undefined || name.split(' ')[0] === group) && (!only || name === only),
  );
  const lines = names.map((name) => {
    const command = COMMANDS[name] as Command;
    const usage = command.usage === '' ? name : `${name} ${command.usage}`;
    return `  ${usage}\n      ${command.summary}`;
  });
  const usage = group === undefined ? '<command>' : `${group} <command>`;
  return (
    `usage: npm run -s cli -- ${only ?? usage}\n\n${lines.join('\n')}\n\n` +
    "Standard output carries only the command's JSON; errors are one line on standard error.\n" +
    'Exit codes: 0 success, 1 a refused command, 2 a usage mistake. `--password` puts the\n' +
    'password into your shell history: leave it out to be prompted.'
  );
}

/** Runs a command line on a running application context; help comes back as its text. */
export async function runCommand(
  app: INestApplicationContext,
  argv: string[],
  password: PasswordSource,
): Promise<CommandOutput> {
  const invocation = parseInvocation(argv);
  if (invocation.kind === 'help') return invocation.text;
  return (COMMANDS[invocation.name] as Command).run(app, invocation.args, password);
}

/** parseArgs that reports an unknown option or a malformed value as a usage mistake. */
function parse<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  group: string | undefined,
  options: T,
) {
  try {
    return parseArgs({ args, allowPositionals: true, strict: true, options });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), group);
  }
}

function single(positionals: string[], what: string, group: string): string {
  const [value, extra] = positionals;
  if (value === undefined || extra !== undefined) throw new UsageError(`expected ${what}`, group);
  return value;
}

async function addClient(app: INestApplicationContext, args: string[]): Promise<CommandOutput> {
  const { values, positionals } = parse(args, 'clients', {
    name: { type: 'string' },
    type: { type: 'string' },
    super: { type: 'boolean', default: false },
    admin: { type: 'boolean', default: false },
    introspect: { type: 'boolean', default: false },
    'redirect-uri': { type: 'string' },
    url: { type: 'string' },
    description: { type: 'string' },
  });
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument "${positionals[0]}"`, 'clients');
  }
  if (values.name === undefined) throw new UsageError('--name is required', 'clients');
  if (values.type !== 'confidential' && values.type !== 'public') {
    throw new UsageError('--type must be confidential or public', 'clients');
  }
  return app.get(ClientsService).register(
    {
      name: values.name,
      type: values.type === 'confidential' ? 'CONFIDENTIAL' : 'PUBLIC',
      description: values.description,
      url: values.url,
      redirectUri: values['redirect-uri'],
      isSuper: values.super,
      isAdmin: values.admin,
      mayIntrospect: values.introspect,
    },
    null,
  );
}

async function setFlag(
  app: INestApplicationContext,
  args: string[],
  value: boolean,
): Promise<CommandOutput> {
  const { values, positionals } = parse(args, 'clients', {
    super: { type: 'boolean', default: false },
    admin: { type: 'boolean', default: false },
    introspect: { type: 'boolean', default: false },
    permitted: { type: 'boolean', default: false },
  });
  const clientId = single(positionals, 'a client_id', 'clients');
  const [flag, ...others] = CLIENT_FLAGS.filter((f: ClientFlag) => values[f]);
  if (flag === undefined || others.length > 0) {
    throw new UsageError(
      'give exactly one of --super, --admin, --introspect and --permitted',
      'clients',
    );
  }
  await app.get(ClientsService).setFlag(clientId, flag, value);
  return { client_id: clientId, [flag]: value };
}

/** Pages through every live token of the user, as the admin API would list them. */
async function listTokens(app: INestApplicationContext, args: string[]): Promise<TokenListEntry[]> {
  const { values, positionals } = parse(args, 'tokens', {
    type: { type: 'string' },
    client: { type: 'string' },
  });
  const username = single(positionals, 'a username', 'tokens');
  const type = values.type as TokenType | undefined;
  if (type !== undefined && !TOKEN_TYPES.includes(type)) {
    throw new UsageError('--type must be access_token or refresh_token', 'tokens');
  }
  const userId = await app.get(UsersService).findId(username);
  if (userId === null) throw new Error(`No user "${username}".`);
  const tokens = app.get(TokenService);
  const now = new Date();
  const entries: TokenListEntry[] = [];
  const pageSize = 200;
  for (let start = 0; ; start += pageSize) {
    const page = await tokens.listActive({
      userId,
      type,
      now,
      clientId: values.client,
      start,
      maxResults: pageSize,
    });
    entries.push(...page.tokens.map((token) => toTokenListEntry(token, now)));
    if (page.tokens.length < pageSize) return entries;
  }
}

/** A client as the CLI shows it: never its secret or digest. */
function describeClient(client: Client): Record<string, unknown> {
  return {
    client_id: client.id,
    client_name: client.name,
    client_type: client.type,
    super: client.isSuper,
    admin: client.isAdmin,
    introspect: client.mayIntrospect,
    permitted: clientIsPermitted(client),
    client_description: client.description,
    client_url: client.url,
    client_redirect_uri: client.redirectUri,
    refresh_token_expiry: client.refreshTokenExpiry,
    registered_by: client.registeredBy,
    registered_by_user_id: client.registeredByUserId,
    registration_date: client.registrationDate.toISOString(),
    source: client.source === null ? null : (JSON.parse(client.source) as unknown),
  };
}
