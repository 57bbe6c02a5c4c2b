// The listening socket of a network simulator (PJLink, Samsung MDC, Tesira, Shure, ONVIF). Port 0 picks a free
// port, which is then kept: after stop(), start() binds the same port again, as a device coming back would.
import type net from 'node:net';

export class Listener<S extends net.Server = net.Server> {
  private current: S | null = null;

  /** `create` makes a fresh server for each start() (its connection handler included). */
  constructor(
    readonly host: string,
    private boundPort: number,
    private readonly create: () => S,
  ) {}

  /** The port it listens on (or did, or will: the configured one before the first start()). */
  get port(): number {
    return this.boundPort;
  }

  /** The live server, null when stopped. */
  get server(): S | null {
    return this.current;
  }

  /** Where it listens; null when stopped. */
  get address(): { host: string; port: number } | null {
    return this.current ? { host: this.host, port: this.boundPort } : null;
  }

  /** Listens unless it already does. */
  async start(): Promise<{ host: string; port: number }> {
    if (!this.current) {
      const server = this.create();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.boundPort, this.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', () => {});
      this.current = server;
      this.boundPort = (server.address() as net.AddressInfo).port;
    }
    return { host: this.host, port: this.boundPort };
  }

  /**
   * Stops listening at once; resolves when the server has closed, i.e. once the simulator has also ended the
   * connections it holds (destroy them after calling this, then await the result).
   */
  stop(): Promise<void> {
    const server = this.current;
    this.current = null;
    if (!server) return Promise.resolve();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
