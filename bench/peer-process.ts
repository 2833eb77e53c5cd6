/**
 * The servers the benchmark's logger talks to, in a process of their own so that their work and
 * memory are not counted as the logger's: an OTLP/HTTP sink that answers every export at once
 * with 200 and an empty response, and a local W&B server (the tests' protocol-faithful fake)
 * behind a gate that can be closed to make it unreachable (connections refused) and opened again.
 * Started by `Peers`; talks over the IPC channel.
 */
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { FakeWandbServer } from '../test/support/wandb-server.js';

/** Messages from the parent. */
export type PeerCommand = { readonly gate: 'open' | 'closed' } | { readonly stop: true };
/** Messages to the parent. */
export type PeerReply =
  | { readonly ready: { readonly otlp: string; readonly wandb: string } }
  | { readonly gate: 'open' | 'closed' };

async function main(): Promise<void> {
  const otlp = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, {
        'content-type': req.headers['content-type'] ?? 'application/x-protobuf',
      });
      res.end();
    });
  });
  await listen(otlp, 0);
  const wandb = await FakeWandbServer.start();
  const target = Number(new URL(wandb.url).port);
  const open = new Set<Socket>();
  const gate = createServer((client) => {
    const upstream = createConnection(target, '127.0.0.1');
    open.add(client);
    client.on('close', () => open.delete(client));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await listen(gate, 0);
  const gatePort = (gate.address() as AddressInfo).port;
  const send = (reply: PeerReply) => process.send?.(reply);

  process.on('message', async (command: PeerCommand) => {
    if ('stop' in command) {
      otlp.closeAllConnections();
      for (const socket of open) socket.destroy();
      gate.close();
      otlp.close();
      await wandb.close();
      process.disconnect();
      return;
    }
    if (command.gate === 'closed') {
      // Refused, not merely slow: no listener on the port, and live connections cut.
      await new Promise<void>((resolve) => gate.close(() => resolve()));
      for (const socket of open) socket.destroy();
    } else {
      await listen(gate, gatePort);
    }
    send({ gate: command.gate });
  });
  send({
    ready: {
      otlp: `http://127.0.0.1:${(otlp.address() as AddressInfo).port}`,
      wandb: `http://127.0.0.1:${gatePort}`,
    },
  });
}

function listen(server: Server | ReturnType<typeof createHttpServer>, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

await main();
