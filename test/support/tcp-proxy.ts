import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A TCP port nobody listens on (bound and released at once). */
export async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

export interface TcpProxy {
  url: string;
  /** Backends ("host:port") tried in turn for each new connection; dead ones are skipped. */
  backends: string[];
  /** When true, connections that ask for a WebSocket upgrade are dropped (a hostile proxy). */
  dropUpgrades: boolean;
  /** Cuts every open connection (with `backends = []`, the target looks unreachable). */
  dropAll(): void;
  /**
   * A network partition that sends no reset: with `true` every connection, open or new, stops
   * moving bytes (both ways, held as TCP would hold them) until `partition(false)` lets them flow.
   */
  partition(on: boolean): void;
  close(): Promise<void>;
}

/**
 * A tiny TCP load balancer for tests: round-robin over backends, skipping any that refuse the
 * connection, and optionally dropping WebSocket upgrades (plain HTTP still passes).
 */
export async function startTcpProxy(
  backends: string[],
  options: { dropUpgrades?: boolean } = {},
): Promise<TcpProxy> {
  let next = 0;
  const open = new Set<Socket>();
  const proxy: TcpProxy = {
    url: '',
    backends: [...backends],
    dropUpgrades: options.dropUpgrades ?? false,
    dropAll: () => undefined,
    partition: () => undefined,
    close: async () => undefined,
  };

  let partitioned = false;
  const server: Server = createServer((clientSocket) => {
    open.add(clientSocket);
    if (partitioned) clientSocket.pause();
    clientSocket.once('close', () => open.delete(clientSocket));
    clientSocket.once('data', (firstChunk) => {
      if (proxy.dropUpgrades && /upgrade:\s*websocket/i.test(firstChunk.toString('latin1'))) {
        clientSocket.destroy();
        return;
      }
      clientSocket.pause();
      const tryBackend = (attempt: number) => {
        if (attempt >= proxy.backends.length) return clientSocket.destroy();
        const target = proxy.backends[next++ % proxy.backends.length]!;
        const [host, port] = target.split(':');
        const upstream = connect(Number(port), host!);
        let established = false;
        upstream.once('error', () => {
          if (!established)
            tryBackend(attempt + 1); // refused: that backend is down, try the next
          else clientSocket.destroy();
        });
        upstream.once('connect', () => {
          established = true;
          open.add(upstream);
          upstream.once('close', () => {
            open.delete(upstream);
            clientSocket.destroy();
          });
          clientSocket.once('close', () => upstream.destroy());
          upstream.write(firstChunk);
          clientSocket.pipe(upstream);
          upstream.pipe(clientSocket);
          if (partitioned) upstream.pause();
          else clientSocket.resume();
        });
      };
      tryBackend(0);
    });
    clientSocket.on('error', () => clientSocket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  proxy.url = `http://127.0.0.1:${port}`;
  proxy.dropAll = () => {
    for (const s of open) s.destroy();
  };
  proxy.partition = (on) => {
    partitioned = on;
    for (const s of open)
      if (on) s.pause();
      else s.resume();
  };
  proxy.close = () =>
    new Promise((resolve) => {
      for (const s of open) s.destroy();
      server.close(() => resolve());
    });
  return proxy;
}
