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
