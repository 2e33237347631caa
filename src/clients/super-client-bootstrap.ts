import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ClientRepository } from './client.repository';
import type { ClientsService, RegisteredClient } from './clients.service';

export const SUPER_CLIENT_FILE = 'data/super_client.json';

/**
 * On a fresh database, creates one super client so that a new installation can log users in
 * at once (SPEC §7). Its secret is shown once and written to data/super_client.json (0600).
 * Returns the new credentials, or undefined when a super client already existed.
 */
export async function ensureSuperClient(
  clients: ClientsService,
  repository: ClientRepository,
  file = SUPER_CLIENT_FILE,
): Promise<RegisteredClient | undefined> {
  if (await repository.existsSuperClient()) return undefined;
  const credentials = await clients.register(
    {
      name: 'tokenvakt super client',
      type: 'CONFIDENTIAL',
      description: 'First-party client created at first start-up.',
      isSuper: true,
    },
    null,
  );
  mkdirSync(dirname(file), { recursive: true });
  if (existsSync(file)) chmodSync(file, 0o600);
  writeFileSync(file, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
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
