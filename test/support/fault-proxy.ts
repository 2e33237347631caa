import { connect, createServer, type Server, type Socket } from 'node:net';

/** One proxied connection: the application's side and the database's side. */
interface Link {
  client: Socket;
  upstream: Socket;
  /** Set once a trigger fired on this link: nothing more is forwarded either way. */
  dead: boolean;
}

/** Cuts every connection when the application sends a packet that matches. */
export interface CutTrigger {
  /** Tested against each chunk the application sends to the database. */
  match: (chunk: Buffer) => boolean;
  /**
   * `before`: the matching chunk is never forwarded. `after`: it is forwarded, its answer is
   * swallowed, and the connections are dropped a moment later, so the database has run the
   * statement but the application never learns the outcome.
   */
  when: 'before' | 'after';
  /** Called once the connections are gone. */
  fired?: () => void;
}

/**
 * A TCP proxy between tokenvakt and the database with the failure modes the fault tests
 * need, all on one port so the application's DATABASE_URL never changes:
 *
 * - `cut()`: drops every connection and refuses new ones (the database is gone);
 * - `refuse()`: refuses new connections but leaves the open ones alone;
 * - `stall()`: keeps every connection open, and accepts new ones, but forwards nothing in
 *   either direction (a network partition, or a database that stopped answering);
 * - `cutOn(trigger)`: drops every connection when a matching packet passes (mid-transaction);
 * - `restore()`: back to normal; stalled traffic flows again.
 */
export class FaultProxy {
  private server?: Server;
  private readonly links = new Set<Link>();
  private stalled = false;
  private trigger?: CutTrigger;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** Connections currently open through the proxy. */
  get connections(): number {
    return this.links.size;
  }

  async start(port = 0): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    this.port = typeof address === 'object' && address ? address.port : port;
    return this.port;
  }

  private accept(client: Socket): void {
    const upstream = connect(this.targetPort, this.targetHost);
    const link: Link = { client, upstream, dead: false };
    this.links.add(link);
    const close = () => {
      this.links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      socket.on('error', close);
      socket.on('close', close);
    }
    client.on('data', (chunk: Buffer) => this.forwardFromClient(link, chunk));
    upstream.on('data', (chunk: Buffer) => {
      if (!link.dead) client.write(chunk);
    });
    if (this.stalled) this.pause(link);
  }

  private forwardFromClient(link: Link, chunk: Buffer): void {
    if (link.dead) return;
    const trigger = this.trigger;
    if (trigger?.match(chunk)) {
      this.trigger = undefined;
      if (trigger.when === 'before') {
        void this.cut().then(() => trigger.fired?.());
        return;
      }
      // Let the database run the statement, but never tell the application how it went.
      link.dead = true;
      link.upstream.write(chunk);
      setTimeout(() => void this.cut().then(() => trigger.fired?.()), 100);
      return;
    }
    link.upstream.write(chunk);
  }

  private pause(link: Link): void {
    link.client.pause();
    link.upstream.pause();
  }

  private dropAll(): void {
    for (const link of this.links) {
      link.dead = true;
      link.client.destroy();
      link.upstream.destroy();
    }
    this.links.clear();
  }

  private async stopListening(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server?.listening) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Drops every connection and stops listening: new connections are refused. */
  async cut(): Promise<void> {
    const closed = this.stopListening();
    this.dropAll();
    await closed;
  }

  /** New connections are refused; open ones keep working. */
  async refuse(): Promise<void> {
    await this.stopListening();
  }

  /** Every connection, open or new, stays up but carries nothing. */
  stall(): void {
    this.stalled = true;
    for (const link of this.links) this.pause(link);
  }

  /**
   * The next packet that matches cuts the database off as `cut()` does (see CutTrigger); the
   * promise settles once it happened.
   */
  cutOn(trigger: Omit<CutTrigger, 'fired'>): Promise<void> {
    return new Promise<void>((resolve) => {
      this.trigger = { ...trigger, fired: resolve };
    });
  }

  /** Back to normal on the same port: stalled connections flow again, new ones are accepted. */
  async restore(): Promise<void> {
    this.trigger = undefined;
    this.stalled = false;
    for (const link of this.links) {
      link.client.resume();
      link.upstream.resume();
    }
    if (!this.server?.listening) await this.start(this.port);
  }

  async stop(): Promise<void> {
    this.trigger = undefined;
    this.stalled = false;
    await this.cut();
  }
}
