import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { parseArgs } from 'node:util';
import type { Client } from '../clients/client.entity';
import { CLIENT_FLAGS, ClientsService, type ClientFlag } from '../clients/clients.service';
import { TokenPurgeService } from '../tokens/token-purge.service';
import { UsersService } from '../users/users.service';

/** A mistake in how the command was called: printed with the usage, exit code 2. */
export class UsageError extends Error {}

/** A command's result, printed to stdout as JSON. */
export type CommandOutput = unknown;

export const USAGE = `usage: npm run -s cli -- <command>

  users add <username> [--password <pw>]     password from --password or one line of stdin
  users remove <username>
  clients add --name <n> --type confidential|public [--super] [--admin] [--introspect]
              [--redirect-uri <u>] [--url <u>] [--description <d>]
  clients list
  clients grant <client_id> --super|--admin|--introspect
  clients revoke-flag <client_id> --super|--admin|--introspect
  tokens purge
  migrate`;

type Reader = () => Promise<string>;

export async function runCommand(
  app: INestApplicationContext,
  argv: string[],
  readStdinLine: Reader,
): Promise<CommandOutput> {
  const [group, action, ...rest] = argv;
  const command = action === undefined || group === 'migrate' ? group : `${group} ${action}`;
  switch (command) {
    case 'users add':
      return addUser(app, rest, readStdinLine);
    case 'users remove': {
      const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
      const username = single(positionals, 'a username');
      if (!(await app.get(UsersService).remove(username)))
        throw new Error(`No user "${username}".`);
      return { username, removed: true };
    }
    case 'clients add':
      return addClient(app, rest);
    case 'clients list':
      return (await app.get(ClientsService).list()).map(describeClient);
    case 'clients grant':
    case 'clients revoke-flag': {
      const { clientId, flag } = parseFlagArgs(rest);
      await app.get(ClientsService).setFlag(clientId, flag, action === 'grant');
      return { client_id: clientId, [flag]: action === 'grant' };
    }
    case 'tokens purge':
      return { deleted: await app.get(TokenPurgeService).purge() };
    case 'migrate': {
      const applied = await app.get(DataSource).runMigrations({ transaction: 'each' });
      return { applied: applied.map((m) => m.name) };
    }
    case undefined:
    default:
      throw new UsageError(
        command === undefined ? 'no command given' : `unknown command "${command}"`,
      );
  }
}

async function addUser(
  app: INestApplicationContext,
  args: string[],
  readStdinLine: Reader,
): Promise<CommandOutput> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { password: { type: 'string' } },
  });
  const username = single(positionals, 'a username');
  const password = values.password ?? (await readStdinLine());
  await app.get(UsersService).create(username, password);
  return { username };
}

async function addClient(app: INestApplicationContext, args: string[]): Promise<CommandOutput> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      type: { type: 'string' },
      super: { type: 'boolean', default: false },
      admin: { type: 'boolean', default: false },
      introspect: { type: 'boolean', default: false },
      'redirect-uri': { type: 'string' },
      url: { type: 'string' },
      description: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.name === undefined) throw new UsageError('--name is required');
  if (values.type !== 'confidential' && values.type !== 'public') {
    throw new UsageError('--type must be confidential or public');
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

function parseFlagArgs(args: string[]): { clientId: string; flag: ClientFlag } {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      super: { type: 'boolean', default: false },
      admin: { type: 'boolean', default: false },
      introspect: { type: 'boolean', default: false },
    },
  });
  const clientId = single(positionals, 'a client_id');
  const [flag, ...others] = CLIENT_FLAGS.filter((f) => values[f]);
  if (flag === undefined || others.length > 0)
    throw new UsageError('give exactly one of --super, --admin and --introspect');
  return { clientId, flag };
}

function single(positionals: string[], what: string): string {
  const [value, extra] = positionals;
  if (value === undefined || extra !== undefined) throw new UsageError(`expected ${what}`);
  return value;
}

/** A client as `clients list` shows it: never its secret or digest. */
function describeClient(client: Client): Record<string, unknown> {
  return {
    client_id: client.id,
    client_name: client.name,
    client_type: client.type,
    super: client.isSuper,
    admin: client.isAdmin,
    introspect: client.mayIntrospect,
    client_description: client.description,
    client_url: client.url,
    client_redirect_uri: client.redirectUri,
    refresh_token_expiry: client.refreshTokenExpiry,
    registered_by: client.registeredBy,
    registered_by_user_id: client.registeredByUserId,
    registration_date: client.registrationDate.toISOString(),
  };
}
