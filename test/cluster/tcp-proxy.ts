// A TCP proxy in front of a real Redis, to cut the network of ONE node (its connections drop and new
// ones are refused) while Redis and the other nodes carry on, or to stall it (connections stay open but
// nothing flows, as a half-open connection or a stuck network). Redis restarts use the harness instead.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  /** redis://127.0.0.1:<proxy port> */
  url: string;
  /** Destroys every proxied connection and refuses new ones until restore(). */
  cut(): void;
  /** Stops forwarding bytes in both directions on every connection, new ones included, until restore(). */
  stall(): void;
  restore(): void;
  /** Open client-side connections (to await that a client noticed a cut, or reconnected). */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let mode: 'open' | 'cut' | 'stalled' = 'open';
  const pairs = new Set<{ client: Socket; upstream: Socket }>();

  const pipe = (pair: { client: Socket; upstream: Socket }) => {
    pair.client.pipe(pair.upstream);
    pair.upstream.pipe(pair.client);
  };
  const unpipe = (pair: { client: Socket; upstream: Socket }) => {
    pair.client.unpipe(pair.upstream);
    pair.upstream.unpipe(pair.client);
    pair.client.pause();
    pair.upstream.pause();
  };

  const server: Server = createServer((client) => {
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    if (mode === 'stalled') unpipe(pair);
    else pipe(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `redis://127.0.0.1:${port}`,
    get connections() {
      return pairs.size;
    },
    cut() {
      mode = 'cut';
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      pairs.clear();
    },
    stall() {
      mode = 'stalled';
      for (const pair of pairs) unpipe(pair);
    },
    restore() {
      const wasStalled = mode === 'stalled';
      mode = 'open';
      if (wasStalled) for (const pair of pairs) pipe(pair);
    },
    async close() {
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
