import { closeSync, fsyncSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import type { EntityManager } from 'typeorm';
import { DEFAULT_SQLITE_PATH, type DatabaseConfig } from '../config/app-config';
import type { ClientRepository } from './client.repository';
import type { ClientsService, RegisteredClient } from './clients.service';

/**
 * Where the first super client's credentials are kept: one file per database, so that a
 * second database started from the same folder never replaces the first one's credentials.
 * `data/super_client.json` for the default database (data/tokenvakt.sqlite), else
 * `data/super_client.<name>.json`, <name> being the SQLite file's name without its extension,
 * or the MySQL host, port and database. None for an in-memory database, which ends with the
 * process: its credentials are only printed.
 */
export function superClientFile(database: DatabaseConfig): string | undefined {
  if (database.dialect === 'sqlite') {
    if (database.path === ':memory:') return undefined;
    if (resolve(database.path) === resolve(DEFAULT_SQLITE_PATH)) {
      return 'data/super_client.json';
    }
    return fileNamed(basename(database.path, extname(database.path)));
  }
  const url = new URL(database.url);
  return fileNamed([url.hostname, url.port, url.pathname.slice(1)].filter(Boolean).join('_'));
}

function fileNamed(name: string): string {
  return `data/super_client.${name.replace(/[^A-Za-z0-9.-]+/g, '_')}.json`;
}

/**
 * On a fresh database, creates one super client so that a new installation can log users in
 * at once (README: Command line), and writes its credentials to `file` (mode 0600; its folder, if created
 * here, 0700). Returns the new credentials, or undefined when a super client already existed.
 *
 * A super client whose credentials cannot be handed over must not exist: nobody could use it,
 * and the next start would not create another. So the file is created before the client
 * (failing when the folder is not writable), and the client is deleted again should writing
 * the file still fail. An existing file is never overwritten: it holds the credentials of an
 * earlier database of the same name, or of another database whose name reads the same, and
 * start-up stops rather than lose them.
 */
export async function ensureSuperClient(
  clients: ClientsService,
  repository: ClientRepository,
  manager: EntityManager,
  file: string | undefined,
): Promise<RegisteredClient | undefined> {
  if (await repository.existsSuperClient()) return undefined;
  const reserved = file === undefined ? undefined : createCredentialsFile(file);
  let credentials: RegisteredClient;
  try {
    credentials = await clients.register(
      {
        name: 'tokenvakt super client',
        type: 'CONFIDENTIAL',
        description: 'First-party client created at first start-up.',
        isSuper: true,
      },
      null,
    );
  } catch (error) {
    reserved?.discard();
    throw error;
  }
  if (reserved) {
    try {
      writeSync(reserved.fd, JSON.stringify(credentials, null, 2) + '\n');
      fsyncSync(reserved.fd);
      closeSync(reserved.fd);
    } catch (error) {
      reserved.discard();
      await repository.delete(credentials.client_id, manager);
      throw cannotWrite(reserved.file, reason(error));
    }
  }
  return credentials;
}

/**
 * Why the server must not start, or undefined. A public super client would get password-grant
 * tokens (and every super-client power) for its client_id alone, so start-up refuses one and
 * names the fix; the CLI still starts, so the operator can apply it.
 */
export async function publicSuperClientProblem(
  repository: ClientRepository,
): Promise<string | undefined> {
  const ids = await repository.findPublicSuperClientIds();
  if (ids.length === 0) return undefined;
  const fixes = ids.map((id) => `npm run -s cli -- clients revoke-flag ${id} --super`);
  const named = ids.join(', ');
  const holders = ids.length === 1 ? `public client ${named} has` : `public clients ${named} have`;
  return (
    `super clients must be confidential, but ${holders} the super flag; ` +
    `remove it with: ${fixes.join('; ')}`
  );
}

/**
 * Creates `file` (0600) for the credentials to come, or fails with a sentence saying why no
 * super client was created.
 */
function createCredentialsFile(file: string): { file: string; fd: number; discard: () => void } {
  let fd: number;
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    fd = openSync(file, 'wx', 0o600);
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === 'EEXIST'
        ? 'it exists and holds the credentials of an earlier or another database; move it away'
        : reason(error);
    throw cannotWrite(file, why);
  }
  const discard = (): void => {
    for (const step of [() => closeSync(fd), () => unlinkSync(file)]) {
      try {
        step();
      } catch {
        // Already closed or gone: nothing is left to discard.
      }
    }
  };
  return { file, fd, discard };
}

function cannotWrite(file: string, why: string): Error {
  return new Error(
    `cannot write the first super client's credentials to ${file} (${why}); no super client was created`,
  );
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
