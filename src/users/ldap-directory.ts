import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client, type Entry } from 'ldapts';
import type { LdapConfig } from '../config/app-config';

/**
 * Result codes (RFC 4511 §4.1.9) of a user bind that mean "not this user with this password":
 * the directory answered, and said no. Anything else (busy, unavailable, a protocol error, no
 * answer) means it could not answer, which is never taken for a wrong password.
 */
const REFUSED_BIND_CODES = new Set([
  19, // constraintViolation: e.g. a password policy's lockout
  32, // noSuchObject: the entry went away between the search and the bind
  49, // invalidCredentials
  50, // insufficientAccessRights
  53, // unwillingToPerform: e.g. a disabled account
]);

function resultCode(error: unknown): number | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'number'
    ? error.code
    : undefined;
}

/** Rejects after `ms` unless `work` settles first; `onTimeout` cleans up what it leaves. */
export function within<T>(ms: number, work: Promise<T>, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Closes a connection without waiting for it (an unbind, RFC 4511 §4.3, then the socket). */
function close(client: Client): void {
  void client.unbind().catch(() => undefined);
}

/**
 * Two connections to one directory server, used together for one check at a time:
 *
 * - `searcher` is bound as the service account (LDAP_BIND_DN) and only searches;
 * - `binder` carries only the users' binds, so a search never runs as a user, and a user's
 *   bind never changes who the searcher is. After a failed bind it is anonymous (RFC 4511
 *   §4.2.1); after a successful one it stays bound as that user until the next bind, and is
 *   used for nothing else.
 *
 * ldapts reconnects by itself when an operation meets a closed connection, but unbound and
 * without StartTLS. So an operation first checks, synchronously, that its connection is still
 * the one that was set up (the searcher bound; with StartTLS, the binder upgraded); a lane
 * whose connection is gone is closed and replaced. Without StartTLS the binder may connect
 * when first used: a bind needs nothing from the connection before it.
 */
export class DirectoryLane {
  private constructor(
    readonly url: string,
    private readonly searcher: Client,
    private readonly binder: Client,
    private readonly settings: LdapConfig,
  ) {}

  /** Connects to `url`, upgrades with StartTLS when configured and binds the searcher. */
  static async open(url: string, settings: LdapConfig): Promise<DirectoryLane> {
    const hostname = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const tls: ConnectionOptions = {
      ...(settings.ca === undefined ? {} : { ca: settings.ca }),
      // The name the certificate must carry; SNI only for a DNS name (RFC 6066 §3).
      host: hostname,
      ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
    };
    const timeoutMs = settings.timeout * 1000;
    const client = (): Client =>
      new Client({
        url,
        timeout: timeoutMs,
        connectTimeout: timeoutMs,
        // Only for ldaps://: given TLS options, ldapts would speak TLS at once on ldap:// too.
        ...(url.startsWith('ldaps:') ? { tlsOptions: tls } : {}),
      });
    const lane = new DirectoryLane(url, client(), client(), settings);
    const setUp = async (): Promise<void> => {
      if (settings.startTls) {
        // Nothing else is sent before the upgrade (RFC 4513 §3); a failed one ends the lane.
        await Promise.all([lane.searcher.startTLS({ ...tls }), lane.binder.startTLS({ ...tls })]);
      }
      try {
        await lane.searcher.bind(settings.bindDn, settings.bindPassword);
      } catch (error) {
        const code = resultCode(error);
        if (code === undefined) throw error;
        throw new Error(`the service bind as LDAP_BIND_DN was refused (result code ${code})`);
      }
    };
    try {
      await within(timeoutMs, setUp(), () => lane.close());
    } catch (error) {
      lane.close();
      throw error;
    }
    return lane;
  }

  /** Both connections are still the ones set up, the searcher bound as the service account. */
  get usable(): boolean {
    return this.searcher.isBound && (this.binder.isConnected || !this.settings.startTls);
  }

  /** At most two entries below `base` matching `filter`, each with `attribute`. */
  async search(base: string, filter: string, attribute: string): Promise<Entry[]> {
    if (!this.searcher.isBound) throw new Error('the connection was closed');
    const { searchEntries } = await this.searcher.search(base, {
      scope: 'sub',
      filter,
      attributes: [attribute],
      // Two are enough to tell "exactly one" from "several".
      sizeLimit: 2,
      timeLimit: this.settings.timeout,
    });
    return searchEntries;
  }

  /** Whether the base entry can be read: the directory answers the service account. */
  async probe(base: string): Promise<void> {
    if (!this.searcher.isBound) throw new Error('the connection was closed');
    await this.searcher.search(base, { scope: 'base', attributes: ['1.1'], sizeLimit: 1 });
  }

  /**
   * A simple bind as `dn` with `password` (RFC 4513 §5.1.3): true when the directory accepts
   * it, false when it refuses; throws when it does not answer. Never with an empty password:
   * that is an unauthenticated bind (RFC 4513 §5.1.2), which may "succeed" for anyone.
   */
  async bind(dn: string, password: string): Promise<boolean> {
    if (password === '') return false;
    if (this.settings.startTls && !this.binder.isConnected) {
      throw new Error('the connection was closed');
    }
    try {
      await this.binder.bind(dn, password);
      return true;
    } catch (error) {
      const code = resultCode(error);
      if (code !== undefined && REFUSED_BIND_CODES.has(code)) return false;
      throw error;
    }
  }

  close(): void {
    close(this.searcher);
    close(this.binder);
  }
}

/** The directory could not be asked: every server failed, or no lane became free in time. */
export class DirectoryUnavailable extends Error {}

/**
 * At most LDAP_POOL_SIZE lanes, opened when first needed and kept for the next checks, so a
 * burst of logins reuses them instead of connecting per request. A lane that failed in any
 * way is closed; the next check opens a new one, trying LDAP_URL's servers in order. That is
 * how tokenvakt recovers when the directory is back, without a restart.
 */
export class DirectoryPool {
  private readonly idle: DirectoryLane[] = [];
  /** Lanes open or being opened. */
  private count = 0;
  /** Checks waiting for a lane: given one, or null for "open one yourself". */
  private readonly waiting: Array<(lane: DirectoryLane | null) => void> = [];
  private closed = false;

  constructor(private readonly settings: LdapConfig) {}

  /** Runs `work` on a lane; a lane on which it threw is closed, never reused. */
  async use<T>(work: (lane: DirectoryLane) => Promise<T>): Promise<T> {
    const lane = await this.acquire();
    let failed = true;
    try {
      const result = await work(lane);
      failed = false;
      return result;
    } finally {
      this.release(lane, failed);
    }
  }

  close(): void {
    this.closed = true;
    for (const lane of this.idle.splice(0)) lane.close();
    for (const wake of this.waiting.splice(0)) wake(null);
  }

  private async acquire(): Promise<DirectoryLane> {
    for (;;) {
      if (this.closed) throw new DirectoryUnavailable('shutting down');
      const idle = this.idle.pop();
      if (idle?.usable) return idle;
      if (idle) {
        idle.close();
        this.count -= 1;
        continue;
      }
      if (this.count < this.settings.poolSize) return this.openLane();
      const handed = await this.waitForLane();
      if (handed?.usable) return handed;
      if (handed) {
        handed.close();
        this.count -= 1;
      }
    }
  }

  /** Opens a lane on the first server of LDAP_URL that answers. */
  private async openLane(): Promise<DirectoryLane> {
    this.count += 1;
    const failures: string[] = [];
    for (const url of this.settings.urls) {
      try {
        return await DirectoryLane.open(url, this.settings);
      } catch (error) {
        failures.push(`${url}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.count -= 1;
    this.waiting.shift()?.(null);
    throw new DirectoryUnavailable(failures.join('; '));
  }

  /** A lane handed over by `release`, or null when a place was freed; bounded by LDAP_TIMEOUT. */
  private waitForLane(): Promise<DirectoryLane | null> {
    return new Promise((resolve, reject) => {
      const wake = (lane: DirectoryLane | null): void => {
        clearTimeout(timer);
        resolve(lane);
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(wake), 1);
        reject(new DirectoryUnavailable('no pooled connection became free in time'));
      }, this.settings.timeout * 1000);
      this.waiting.push(wake);
    });
  }

  private release(lane: DirectoryLane, failed: boolean): void {
    if (failed || this.closed) {
      lane.close();
      this.count -= 1;
      this.waiting.shift()?.(null);
      return;
    }
    const next = this.waiting.shift();
    if (next) next(lane);
    else this.idle.push(lane);
  }
}
