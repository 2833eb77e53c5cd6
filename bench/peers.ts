/** The parent's handle on the peer process (see peer-process.ts). */
import { type ChildProcess, fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { PeerCommand, PeerReply } from './peer-process.js';

export class Peers {
  private constructor(
    private readonly child: ChildProcess,
    /** Base URL of the OTLP/HTTP sink. */
    readonly otlpEndpoint: string,
    /** Base URL of the W&B server (through the gate). */
    readonly wandbUrl: string,
  ) {}

  static async start(): Promise<Peers> {
    const child = fork(fileURLToPath(new URL('peer-process.js', import.meta.url)), [], {
      execArgv: [],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const ready = await new Promise<{ otlp: string; wandb: string }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the peer process exited (${code})`)));
      child.on('message', (reply: PeerReply) => {
        if ('ready' in reply) resolve(reply.ready);
      });
    });
    child.removeAllListeners('exit');
    return new Peers(child, ready.otlp, ready.wandb);
  }

  /** Makes the W&B server reachable or not (connections refused); resolves once done. */
  async setWandbReachable(reachable: boolean): Promise<void> {
    const gate = reachable ? 'open' : 'closed';
    const done = new Promise<void>((resolve) => {
      const listener = (reply: PeerReply) => {
        if ('gate' in reply && reply.gate === gate) {
          this.child.off('message', listener);
          resolve();
        }
      };
      this.child.on('message', listener);
    });
    this.child.send({ gate } satisfies PeerCommand);
    await done;
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ stop: true } satisfies PeerCommand);
    const timeout = setTimeout(() => this.child.kill(), 5000);
    await exited;
    clearTimeout(timeout);
  }
}

/** An OTLP endpoint where nothing listens: every connection is refused. */
export async function refusingEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
