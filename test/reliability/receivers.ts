/**
 * OTLP receivers for the fault tests: the real bridge (`jepa-loggers bridge`, an OTLP/HTTP
 * receiver) as a process that can be killed and started again on the same port, printing every
 * row it receives; and a proxy in front of it that answers each request only after a delay (a
 * receiver that takes 10 s to answer).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli } from '../collector/pipeline.js';
import { eventually, type ManagedProcess } from '../support/processes.js';

/** The bridge, writing each row it receives as a `step <n> | ...` line on stdout. */
export class BridgeReceiver {
  private constructor(
    readonly process: ManagedProcess,
    readonly url: string,
    /** `Date.now()` once it said it listens. */
    readonly readyAt: number,
    private readonly output: () => string,
  ) {}

  static async start(port: number): Promise<BridgeReceiver> {
    const dir = mkdtempSync(join(tmpdir(), 'jepa-receiver-'));
    const config = join(dir, 'bridge.yaml');
    writeFileSync(
      config,
      'backends: [console]\nconsole:\n  colored: false\n  stream: stdout\n  format: "%(message)s"\n',
    );
    const bridge = startCli('bridge', ['bridge', '--port', String(port), '--config', config]);
    // All of stdout, not only the last 64 KiB the managed process keeps.
    let stdout = '';
    bridge.child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const url = await eventually(
      'the bridge to listen',
      () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(bridge.output())?.[1],
      30_000,
      20,
    );
    // Read at start: not needed any more.
    rmSync(dir, { recursive: true, force: true });
    return new BridgeReceiver(bridge, url, Date.now(), () => stdout);
  }

  /** The steps of the rows it printed, in order of arrival. */
  steps(): number[] {
    return [...this.output().matchAll(/^step (\d+) \|/gm)].map((m) => Number(m[1]));
  }

  /** The lines about the run's end (`run finished`, `run interrupted ...`). */
  runEnds(): string[] {
    return [...this.output().matchAll(/^run (?:finished|interrupted|failed).*$/gm)].map(
      (m) => m[0],
    );
  }
}

/** An HTTP proxy that waits `delayMs` before passing each request on and answering it. */
export class SlowProxy {
  readonly requests: { at: number; path: string }[] = [];
  private readonly waiting = new Set<() => void>();
  private closed = false;

  private constructor(private readonly server: Server) {}

  static async start(target: string, delayMs: number): Promise<SlowProxy> {
    let proxy: SlowProxy | undefined;
    const server = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      proxy?.requests.push({ at: Date.now(), path: request.url ?? '' });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          proxy?.waiting.delete(cancel);
          resolve();
        }, delayMs);
        const cancel = () => {
          clearTimeout(timer);
          resolve();
        };
        proxy?.waiting.add(cancel);
      });
      if (proxy?.closed) return;
      try {
        const answer = await fetch(`${target}${request.url}`, {
          method: request.method,
          headers: {
            'content-type': request.headers['content-type'] ?? '',
            'content-encoding': request.headers['content-encoding'] ?? 'identity',
          },
          body: Buffer.concat(chunks),
        });
        const body = Buffer.from(await answer.arrayBuffer());
        if (!response.destroyed) {
          response.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? '',
          });
          response.end(body);
        }
      } catch {
        response.destroy();
      }
    });
    proxy = new SlowProxy(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const cancel of this.waiting) cancel();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
