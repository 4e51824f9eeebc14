import net from 'node:net';

export interface ProxyPolicy {
  /** Bytes of the request stream (client → store) a connection forwards before it is cut; undefined: never cut. */
  cutRequestAfter?: (connection: number) => number | undefined;
  /** Bytes of the response stream (store → client) a connection forwards before it is cut. */
  cutResponseAfter?: (connection: number) => number | undefined;
}

export interface Proxy {
  endpoint: string;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * A real TCP proxy on 127.0.0.1 (port 0) in front of the store that can cut a connection
 * after a number of bytes in either direction: a network failure in the middle of a
 * request or a response, made with real sockets rather than a mocked client.
 */
export async function startProxy(target: string, policy: ProxyPolicy = {}): Promise<Proxy> {
  const url = new URL(target);
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((client) => {
    const index = ++connections;
    const upstream = net.connect(Number(url.port), url.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const cut = (): void => {
      client.destroy();
      upstream.destroy();
    };
    const forward = (from: net.Socket, to: net.Socket, limit: number | undefined): void => {
      let sent = 0;
      from.on('data', (chunk: Buffer) => {
        if (limit !== undefined && sent + chunk.length > limit) {
          to.write(chunk.subarray(0, limit - sent), cut);
          from.pause();
          return;
        }
        sent += chunk.length;
        to.write(chunk);
      });
      from.on('end', () => to.end());
    };
    forward(client, upstream, policy.cutRequestAfter?.(index));
    forward(upstream, client, policy.cutResponseAfter?.(index));
    for (const s of [client, upstream]) {
      s.on('error', cut);
      s.on('close', () => {
        sockets.delete(s);
        cut();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
