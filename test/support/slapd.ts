import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Attribute, Change, Client } from 'ldapts';
import { freePort } from './processes';

/**
 * A private OpenLDAP server for the tests (README: Users in LDAP): Debian's slapd 2.5 with a
 * throw-away slapd.conf and mdb database in a temporary folder, on two free loopback ports
 * (ldap:// with StartTLS, and ldaps://), with TLS material made by openssl for this run (a
 * CA of its own, and a certificate for 127.0.0.1 and localhost). `.ci/run` installs slapd.
 */

const SLAPD = process.env.SLAPD ?? '/usr/sbin/slapd';
const SLAPADD = process.env.SLAPADD ?? '/usr/sbin/slapadd';

/**
 * Why the LDAP tests cannot run here (slapd is not installed), or undefined. With
 * SLAPD_REQUIRED=1 (as `.ci/run` sets) a missing slapd fails the tests instead.
 */
export function slapdMissing(): string | undefined {
  if (existsSync(SLAPD) && existsSync(SLAPADD)) return undefined;
  const reason = `needs OpenLDAP's slapd at ${SLAPD} (apt-get install slapd ldap-utils)`;
  if (process.env.SLAPD_REQUIRED === '1') throw new Error(reason);
  return reason;
}

/** Every slapd started here is killed when the test process exits, whatever happened. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export const SUFFIX = 'dc=tokenvakt,dc=test';
export const PEOPLE = `ou=people,${SUFFIX}`;
const ROOT_DN = `cn=admin,${SUFFIX}`;
const ROOT_PASSWORD = 'root-pw';
export const SERVICE_DN = `cn=tokenvakt,ou=services,${SUFFIX}`;
export const SERVICE_PASSWORD = 'service-pw';

/** Kustvakt's kind of filter: by uid or e-mail, blocked users left out. */
export const SEARCH_FILTER = '(&(|(uid={login})(mail={login}))(!(employeeType=blocked)))';

export interface DirectoryUser {
  uid: string;
  mail: string;
  password: string;
  dn: string;
}

function person(uid: string, mail: string, password: string): DirectoryUser {
  return { uid, mail, password, dn: `uid=${uid},${PEOPLE}` };
}

/** The directory's people. */
export const PEOPLE_IN_DIRECTORY = {
  alice: person('alice', 'alice@example.org', 'alice-pw'),
  /** A name and a password beyond ASCII. */
  joerg: person('jörg', 'joerg@example.org', 'jörg-pässwörd'),
  /** Blocked from the start: `employeeType: blocked`, which the filter leaves out. */
  mallory: person('mallory', 'mallory@example.org', 'mallory-pw'),
  /** dave and erin share an e-mail address: logging in with it names nobody. */
  dave: person('dave', 'shared@example.org', 'dave-pw'),
  erin: person('erin', 'shared@example.org', 'erin-pw'),
  /** Blocked by a test, after she has logged in. */
  carol: person('carol', 'carol@example.org', 'carol-pw'),
  /** A uid that cannot be a username (a space): found by mail, but never a user. */
  spaced: person('bob smith', 'bob@example.org', 'bob-pw'),
};

/** An LDIF line (RFC 2849): base64 for a value that is not plain ASCII. */
function ldifLine(attribute: string, value: string): string {
  return /^[\x21-\x39\x3b\x3d-\x7e][\x20-\x7e]*$/.test(value)
    ? `${attribute}: ${value}`
    : `${attribute}:: ${Buffer.from(value, 'utf8').toString('base64')}`;
}

/** userPassword as directories commonly store it: {SSHA}, a salted SHA-1 (RFC 2307 style). */
function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password, 'utf8').update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

function entry(lines: Array<[string, string]>): string {
  return lines.map(([attribute, value]) => ldifLine(attribute, value)).join('\n');
}

function ldif(): string {
  const entries = [
    entry([
      ['dn', SUFFIX],
      ['objectClass', 'dcObject'],
      ['objectClass', 'organization'],
      ['dc', 'tokenvakt'],
      ['o', 'tokenvakt tests'],
    ]),
    entry([
      ['dn', PEOPLE],
      ['objectClass', 'organizationalUnit'],
      ['ou', 'people'],
    ]),
    entry([
      ['dn', `ou=services,${SUFFIX}`],
      ['objectClass', 'organizationalUnit'],
      ['ou', 'services'],
    ]),
    entry([
      ['dn', SERVICE_DN],
      ['objectClass', 'organizationalRole'],
      ['objectClass', 'simpleSecurityObject'],
      ['cn', 'tokenvakt'],
      ['userPassword', ssha(SERVICE_PASSWORD)],
    ]),
    ...Object.values(PEOPLE_IN_DIRECTORY).map((user) =>
      entry([
        ['dn', user.dn],
        ['objectClass', 'inetOrgPerson'],
        ['uid', user.uid],
        ['cn', user.uid],
        ['sn', user.uid],
        ['mail', user.mail],
        ['userPassword', ssha(user.password)],
        ...(user === PEOPLE_IN_DIRECTORY.mallory
          ? [['employeeType', 'blocked'] as [string, string]]
          : []),
      ]),
    ),
  ];
  return `${entries.join('\n\n')}\n`;
}

function slapdConf(folder: string): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile ${folder}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile ${folder}/ca.pem
TLSCertificateFile ${folder}/server.pem
TLSCertificateKeyFile ${folder}/server-key.pem
# Some directories accept an unauthenticated bind (a DN with an empty password, RFC 4513
# §5.1.2) as a "successful" anonymous one; this one does too, so the tests show that
# tokenvakt never takes that for a login.
allow bind_anon_dn
database mdb
maxsize 16777216
suffix "${SUFFIX}"
rootdn "${ROOT_DN}"
rootpw ${ROOT_PASSWORD}
directory ${folder}/data
# Passwords are only for binds; only the service account reads entries. Anonymous searches
# find nothing, so a search that ran unbound would show.
access to attrs=userPassword
  by anonymous auth
  by * none
access to *
  by dn.exact="${SERVICE_DN}" read
  by * none
`;
}

/** A CA of this run's own and a server certificate it signed, for 127.0.0.1 and localhost. */
function makeTlsMaterial(folder: string): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const file = (name: string) => join(folder, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca-key.pem'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=tokenvakt test CA',
  );
  openssl(
    'req',
    ...ec,
    '-keyout',
    file('server-key.pem'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=localhost',
  );
  writeFileSync(file('san.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca-key.pem'),
    '-CAcreateserial',
    '-out',
    file('server.pem'),
    '-days',
    '2',
    '-extfile',
    file('san.cnf'),
  );
}

function waitForPort(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class TestDirectory {
  private process: ChildProcess | undefined;
  private stderr = '';

  private constructor(
    readonly folder: string,
    readonly port: number,
    readonly ldapsPort: number,
  ) {}

  /** Makes the folder, the TLS material and the database, and starts slapd. */
  static async start(): Promise<TestDirectory> {
    const folder = mkdtempSync(join(tmpdir(), 'tokenvakt-slapd-'));
    mkdirSync(join(folder, 'data'));
    makeTlsMaterial(folder);
    writeFileSync(join(folder, 'slapd.conf'), slapdConf(folder));
    writeFileSync(join(folder, 'people.ldif'), ldif());
    execFileSync(
      SLAPADD,
      ['-q', '-f', join(folder, 'slapd.conf'), '-l', join(folder, 'people.ldif')],
      {
        stdio: 'pipe',
      },
    );
    const directory = new TestDirectory(folder, await freePort(), await freePort());
    await directory.resume();
    return directory;
  }

  /** ldap:// (plain, or with StartTLS). */
  get url(): string {
    return `ldap://127.0.0.1:${this.port}`;
  }

  get ldapsUrl(): string {
    return `ldaps://127.0.0.1:${this.ldapsPort}`;
  }

  /** The CA that signed the server's certificate. */
  get caFile(): string {
    return join(this.folder, 'ca.pem');
  }

  /** tokenvakt's settings for this directory (USER_STORE=ldap), with `overrides`. */
  env(overrides: Record<string, string> = {}): Record<string, string> {
    return {
      USER_STORE: 'ldap',
      LDAP_URL: this.url,
      LDAP_BIND_DN: SERVICE_DN,
      LDAP_BIND_PASSWORD: SERVICE_PASSWORD,
      LDAP_SEARCH_BASE: PEOPLE,
      LDAP_SEARCH_FILTER: SEARCH_FILTER,
      ...overrides,
    };
  }

  /** Starts slapd (again) on the same ports and data, once it accepts connections. */
  async resume(): Promise<void> {
    if (this.process && this.process.exitCode === null) return;
    const child = spawn(
      SLAPD,
      ['-f', join(this.folder, 'slapd.conf'), '-h', `${this.url}/ ${this.ldapsUrl}/`, '-d', '0'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.process = child;
    this.stderr = '';
    running.add(child);
    child.once('exit', () => running.delete(child));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    for (let attempt = 0; attempt < 200; attempt++) {
      if (child.exitCode !== null) break;
      if ((await waitForPort(this.port)) && (await waitForPort(this.ldapsPort))) return;
      await sleep(50);
    }
    throw new Error(`slapd did not start: ${this.stderr}`);
  }

  /** Stops slapd (SIGTERM) and waits until it has exited: nothing listens on its ports. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    await exited;
  }

  /** SIGSTOP: connections are still accepted by the kernel, but nothing is answered. */
  freeze(): void {
    this.process?.kill('SIGSTOP');
  }

  /** SIGCONT: answers again, on the connections it had. */
  thaw(): void {
    this.process?.kill('SIGCONT');
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.folder, { recursive: true, force: true });
  }

  /** Connects as the directory's manager (rootdn), for a test that changes an entry. */
  async asManager<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ url: this.url, timeout: 5000 });
    try {
      await client.bind(ROOT_DN, ROOT_PASSWORD);
      return await work(client);
    } finally {
      await client.unbind();
    }
  }

  /** Sets (or with an empty list removes) an attribute of an entry. */
  replace(dn: string, type: string, values: string[]): Promise<void> {
    return this.asManager((client) =>
      client.modify(
        dn,
        new Change({ operation: 'replace', modification: new Attribute({ type, values }) }),
      ),
    );
  }
}
