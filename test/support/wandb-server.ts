/**
 * A local stand-in for a W&B server, for tests. The W&B cloud cannot run here, so this is a fake,
 * kept faithful to the protocol facts (docs: facts/wandb.md) and to what the real clients were
 * seen to send (our exporter, and `wandb sync` of wandb 0.31 through its Go core):
 *
 * - `POST /graphql`: UpsertBucket, ServerFeaturesQuery, CreateRunFiles, CreateArtifact,
 *   CreateArtifactManifest, CreateArtifactFiles, CommitArtifact; anything else is a 400 that names
 *   the operation, so a client that starts asking for more shows up at once.
 * - `POST /files/<entity>/<project>/<run>/file_stream`: history lines land at their offset; an
 *   offset below the end rewrites those lines (as W&B does), an offset past the end is a gap and
 *   is recorded as one. The summary is the whole summary each time; `complete` and `exitcode`
 *   end the run; `uploaded` lists run files. Other files (`wandb-events.jsonl`, `output.log`)
 *   land line by line at their offsets, as the history does.
 * - `PUT /storage/...`: the upload URLs handed out above.
 * - Basic auth `api:<key>`: a wrong or missing key is a 401.
 *
 * Faults are scripted per test with `inject` (429 with Retry-After, 5xx, reset connections before
 * or after the request is processed, stalls). Everything received is recorded for assertions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';

export type Fault =
  /** Lets the request through untouched (to space faults out in a script). */
  | { readonly kind: 'pass' }
  /** Answers `status` (with a Retry-After header when given) without processing the request. */
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string }
  /** Drops the connection: before processing, or after processing but before answering. */
  | { readonly kind: 'reset'; readonly when: 'before' | 'after' }
  /** Waits `ms`, then processes and answers (if the client is still there). */
  | { readonly kind: 'stall'; readonly ms: number };

/** Which requests a fault script applies to. */
export type FaultTarget =
  | 'file_stream'
  | 'graphql'
  | 'upload'
  | { readonly operation: string }
  | ((request: ReceivedRequest) => boolean);

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  /** The GraphQL operation, for `/graphql`. */
  readonly operation?: string;
  /** Parsed JSON body (W&B JSON: bare NaN and infinities allowed), when it is JSON. */
  readonly json?: unknown;
  readonly bytes: Buffer;
  readonly authorization?: string;
  /** `Date.now()` when the body had arrived. */
  readonly at: number;
  /** The fault applied to this request, if any. */
  readonly fault?: Fault;
}

export interface StreamRequest {
  readonly at: number;
  /** The history offset and line count, when the request carried history. */
  readonly offset?: number;
  readonly lines: number;
  readonly bytes: number;
  readonly heartbeat: boolean;
  readonly complete: boolean;
}

export interface FakeRun {
  readonly entity: string;
  readonly project: string;
  readonly name: string;
  displayName?: string;
  notes?: string;
  group?: string;
  jobType?: string;
  tags?: string[];
  host?: string;
  /** The config as sent (`{"key": {"value": v}}`), parsed. */
  config: Record<string, unknown>;
  upserts: number;
  /** History lines by offset, as sent. */
  readonly history: string[];
  summary?: Record<string, unknown>;
  /** Rewrites of existing lines: identical means the same JSON value. */
  readonly rewrites: { offset: number; identical: boolean }[];
  /** Requests whose offset was past the end of the history. */
  readonly gaps: { offset: number; end: number }[];
  readonly streamRequests: StreamRequest[];
  complete: boolean;
  exitcode?: number;
  /** Set by a test: file_stream answers `stopped: true`, as when a run is stopped in the app. */
  stopped: boolean;
  readonly uploaded: string[];
  /** Uploaded run files by name. */
  readonly files: Map<string, Buffer>;
  /** Lines of the streamed files other than history and summary, by file name and offset. */
  readonly streamed: Map<string, string[]>;
}

export interface FakeArtifact {
  readonly id: string;
  readonly entity: string;
  readonly project: string;
  readonly run: string;
  readonly type: string;
  readonly collection: string;
  readonly digest: string;
  readonly aliases: string[];
  state: 'PENDING' | 'COMMITTED';
  manifest?: Record<string, unknown>;
  readonly files: Map<string, Buffer>;
}

export interface FakeWandbServerOptions {
  /** The only API key accepted; any key when undefined. */
  readonly apiKey?: string;
  /** The entity of runs that name none (the key owner's). */
  readonly defaultEntity?: string;
}

/** The GraphQL variables the operations above read. */
interface Variables {
  readonly name?: string;
  readonly project?: string | null;
  readonly entity?: string | null;
  readonly run?: string;
  readonly displayName?: string | null;
  readonly notes?: string | null;
  readonly groupName?: string | null;
  readonly jobType?: string | null;
  readonly tags?: string[] | null;
  readonly host?: string | null;
  readonly config?: string | null;
  readonly files?: string[];
  readonly artifactID?: string;
  readonly input?: ArtifactInput;
}

interface ArtifactInput {
  readonly entityName?: string;
  readonly projectName?: string;
  readonly runName?: string;
  readonly artifactTypeName?: string;
  readonly artifactCollectionName?: string;
  readonly digest?: string;
  readonly aliases?: { alias: string }[];
  readonly artifactFiles?: { artifactID: string; name: string }[];
}

interface Script {
  readonly matches: (request: ReceivedRequest) => boolean;
  readonly faults: Fault[];
  skip: number;
}

export class FakeWandbServer {
  readonly requests: ReceivedRequest[] = [];
  readonly runs = new Map<string, FakeRun>();
  readonly artifacts = new Map<string, FakeArtifact>();
  private readonly scripts: Script[] = [];
  private readonly defaultEntity: string;
  private nextId = 1;

  private constructor(
    private readonly server: Server,
    private readonly options: FakeWandbServerOptions,
  ) {
    this.defaultEntity = options.defaultEntity ?? 'fake-user';
  }

  static async start(options: FakeWandbServerOptions = {}): Promise<FakeWandbServer> {
    let fake: FakeWandbServer | undefined;
    const server = createServer((req, res) => void fake!.handle(req, res));
    fake = new FakeWandbServer(server, options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** The run `entity/project/name`. */
  run(entity: string, project: string, name: string): FakeRun | undefined {
    return this.runs.get(`${entity}/${project}/${name}`);
  }

  /** The only run, for tests that make one. */
  onlyRun(): FakeRun {
    if (this.runs.size !== 1) throw new Error(`expected one run, the server has ${this.runs.size}`);
    return [...this.runs.values()][0]!;
  }

  /**
   * Applies `faults`, one per matching request, in order, after letting `after` matching
   * requests through untouched.
   */
  inject(target: FaultTarget, faults: readonly Fault[], options: { after?: number } = {}): void {
    this.scripts.push({ matches: matcher(target), faults: [...faults], skip: options.after ?? 0 });
  }

  /** Scripted faults not yet applied. */
  get pendingFaults(): number {
    return this.scripts.reduce((sum, script) => sum + script.faults.length, 0);
  }

  /** The history of a run as parsed rows. */
  static rows(run: FakeRun): Record<string, unknown>[] {
    return run.history.map((line) => parseWandbJson(line) as Record<string, unknown>);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const path = decodeURI((req.url ?? '/').split('?')[0]!);
    let json: unknown;
    if ((req.headers['content-type'] ?? '').includes('json') || req.method === 'POST') {
      try {
        json = parseWandbJson(bytes.toString());
      } catch {
        json = undefined;
      }
    }
    const operation =
      path === '/graphql' ? ((json as { operationName?: string })?.operationName ?? '') : undefined;
    const draft: ReceivedRequest = {
      method: req.method ?? 'GET',
      path,
      operation,
      json,
      bytes,
      authorization: req.headers.authorization,
      at: Date.now(),
    };
    const next = this.nextFault(draft);
    const fault = next?.kind === 'pass' ? undefined : next;
    this.requests.push(fault ? { ...draft, fault } : draft);

    if (fault?.kind === 'status') {
      if (fault.retryAfter !== undefined) res.setHeader('retry-after', fault.retryAfter);
      reply(res, fault.status, { error: `injected ${fault.status}` });
      return;
    }
    if (fault?.kind === 'reset' && fault.when === 'before') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'stall') await new Promise((resolve) => setTimeout(resolve, fault.ms));

    let status: number;
    let answer: unknown;
    try {
      [status, answer] = this.process(draft);
    } catch (error) {
      // A bug here, or a request the fake cannot read: visible to the test as a 500.
      [status, answer] = [500, { error: `fake W&B server: ${String(error)}` }];
    }
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (!res.destroyed) reply(res, status, answer);
  }

  private nextFault(request: ReceivedRequest): Fault | undefined {
    for (const script of this.scripts) {
      if (script.faults.length === 0 || !script.matches(request)) continue;
      if (script.skip > 0) {
        script.skip -= 1;
        continue;
      }
      return script.faults.shift();
    }
    return undefined;
  }

  private process(request: ReceivedRequest): [number, unknown] {
    if (request.path.startsWith('/storage/') && request.method === 'PUT') {
      return this.storeUpload(request);
    }
    if (request.path === '/sdk/otel/v1/metrics') return [200, {}];
    if (!this.authorized(request.authorization)) {
      return [401, { errors: [{ message: 'user is not logged in' }] }];
    }
    if (request.path === '/graphql' && request.method === 'POST') return this.graphql(request);
    const stream = /^\/files\/([^/]+)\/([^/]+)\/([^/]+)\/file_stream$/.exec(request.path);
    if (stream && request.method === 'POST') {
      return this.fileStream(stream[1]!, stream[2]!, stream[3]!, request);
    }
    return [404, { error: `no route for ${request.method} ${request.path}` }];
  }

  private authorized(header: string | undefined): boolean {
    const match = /^Basic (.+)$/.exec(header ?? '');
    if (!match) return false;
    const [user, ...rest] = Buffer.from(match[1]!, 'base64').toString().split(':');
    const key = rest.join(':');
    return (
      user === 'api' &&
      key !== '' &&
      (this.options.apiKey === undefined || key === this.options.apiKey)
    );
  }

  private graphql(request: ReceivedRequest): [number, unknown] {
    const v = (request.json as { variables?: Variables } | undefined)?.variables ?? {};
    const data = (value: unknown): [number, unknown] => [200, { data: value }];
    switch (request.operation) {
      case 'UpsertBucket':
        return data({ upsertBucket: this.upsertBucket(v) });
      case 'ServerFeaturesQuery':
        return data({ serverInfo: { features: [] } });
      case 'CreateRunFiles': {
        const run = this.run(v.entity ?? '', v.project ?? '', v.run ?? '');
        if (!run) return [404, { errors: [{ message: `run ${v.run} not found` }] }];
        return data({
          createRunFiles: {
            runID: run.name,
            uploadHeaders: [],
            files: (v.files as string[]).map((name) => ({
              name,
              uploadUrl: `${this.url}/storage/run/${[run.entity, run.project, run.name].join('/')}/${encodeURIComponent(name)}`,
            })),
          },
        });
      }
      case 'CreateArtifact':
        return data({ createArtifact: { artifact: this.createArtifact(v.input) } });
      case 'CreateArtifactManifest':
      case 'UpdateArtifactManifest': {
        const artifact = this.artifacts.get(v.artifactID ?? '');
        if (!artifact)
          return [404, { errors: [{ message: `artifact ${v.artifactID} not found` }] }];
        const manifest = {
          id: `manifest-${artifact.id}`,
          file: {
            id: `manifest-file-${artifact.id}`,
            uploadUrl: `${this.url}/storage/artifact/${artifact.id}/manifest`,
            uploadHeaders: [],
          },
        };
        return data({
          [request.operation === 'CreateArtifactManifest'
            ? 'createArtifactManifest'
            : 'updateArtifactManifest']: { artifactManifest: manifest },
        });
      }
      case 'CreateArtifactFiles': {
        const files = (v.input?.artifactFiles ?? []) as { artifactID: string; name: string }[];
        return data({
          createArtifactFiles: {
            files: {
              edges: files.map((file) => ({
                node: {
                  id: `file-${file.name}`,
                  name: file.name,
                  displayName: file.name,
                  storagePath: `${file.artifactID}/${file.name}`,
                  uploadUrl: `${this.url}/storage/artifact/${file.artifactID}/file/${encodeURIComponent(file.name)}`,
                  uploadHeaders: [],
                  uploadMultipartUrls: null,
                  artifact: { id: file.artifactID },
                },
              })),
            },
          },
        });
      }
      case 'CommitArtifact': {
        const artifact = this.artifacts.get(v.artifactID ?? '');
        if (!artifact)
          return [404, { errors: [{ message: `artifact ${v.artifactID} not found` }] }];
        artifact.state = 'COMMITTED';
        return data({ commitArtifact: { artifact: { id: artifact.id, digest: artifact.digest } } });
      }
      default:
        return [
          400,
          { errors: [{ message: `the fake W&B server has no operation '${request.operation}'` }] },
        ];
    }
  }

  private upsertBucket(v: Variables): unknown {
    const entity = (v.entity as string | null) || this.defaultEntity;
    const project = (v.project as string | null) || 'uncategorized';
    const name = v.name as string;
    const key = `${entity}/${project}/${name}`;
    let run = this.runs.get(key);
    const inserted = !run;
    if (!run) {
      run = {
        entity,
        project,
        name,
        config: {},
        upserts: 0,
        history: [],
        rewrites: [],
        gaps: [],
        streamRequests: [],
        complete: false,
        stopped: false,
        uploaded: [],
        files: new Map(),
        streamed: new Map(),
      };
      this.runs.set(key, run);
    }
    run.upserts += 1;
    if (v.displayName != null) run.displayName = v.displayName;
    if (v.notes != null) run.notes = v.notes;
    if (v.groupName != null) run.group = v.groupName;
    if (v.jobType != null) run.jobType = v.jobType;
    if (v.tags != null) run.tags = v.tags;
    if (v.host != null) run.host = v.host;
    if (typeof v.config === 'string')
      run.config = parseWandbJson(v.config) as Record<string, unknown>;
    return {
      bucket: {
        id: `bucket-${name}`,
        name,
        displayName: run.displayName ?? name,
        description: '',
        config: JSON.stringify(run.config),
        sweepName: null,
        project: {
          id: `project-${project}`,
          name: project,
          entity: { id: `entity-${entity}`, name: entity },
        },
        historyLineCount: run.history.length,
        eventsLineCount: run.streamed.get('wandb-events.jsonl')?.length ?? 0,
        logLineCount: run.streamed.get('output.log')?.length ?? 0,
      },
      inserted,
    };
  }

  private createArtifact(input: ArtifactInput = {}): unknown {
    const collection = input.artifactCollectionName ?? '';
    const digest = input.digest ?? '';
    const aliases = (input.aliases ?? []).map((a) => a.alias);
    const existing = [...this.artifacts.values()].find(
      (a) => a.collection === collection && a.digest === digest && a.state === 'COMMITTED',
    );
    if (existing) {
      for (const alias of aliases)
        if (!existing.aliases.includes(alias)) existing.aliases.push(alias);
      return {
        id: existing.id,
        state: existing.state,
        artifactSequence: { latestArtifact: { id: existing.id } },
      };
    }
    const id = `artifact-${this.nextId++}`;
    this.artifacts.set(id, {
      id,
      entity: input.entityName || this.defaultEntity,
      project: input.projectName ?? '',
      run: input.runName ?? '',
      type: input.artifactTypeName ?? '',
      collection,
      digest,
      aliases,
      state: 'PENDING',
      files: new Map(),
    });
    return { id, state: 'PENDING', artifactSequence: { latestArtifact: null } };
  }

  private storeUpload(request: ReceivedRequest): [number, unknown] {
    const parts = request.path.split('/').slice(2);
    if (parts[0] === 'run') {
      const run = this.run(parts[1]!, parts[2]!, parts[3]!);
      if (!run) return [404, {}];
      run.files.set(decodeURIComponent(parts.slice(4).join('/')), request.bytes);
      return [200, {}];
    }
    const artifact = this.artifacts.get(parts[1]!);
    if (!artifact) return [404, {}];
    if (parts[2] === 'manifest') {
      artifact.manifest = JSON.parse(request.bytes.toString());
    } else {
      artifact.files.set(decodeURIComponent(parts.slice(3).join('/')), request.bytes);
    }
    return [200, {}];
  }

  private fileStream(
    entity: string,
    project: string,
    name: string,
    request: ReceivedRequest,
  ): [number, unknown] {
    const run = this.run(entity, project, name);
    if (!run) return [404, { error: `run ${entity}/${project}/${name} not found` }];
    const body = (request.json ?? {}) as {
      files?: Record<string, { offset: number; content: string[] }>;
      complete?: boolean;
      exitcode?: number;
      uploaded?: string[];
    };
    const history = body.files?.['wandb-history.jsonl'];
    if (history) {
      history.content.forEach((line, i) => {
        const offset = history.offset + i;
        if (offset < run.history.length) {
          const identical = isDeepStrictEqual(
            parseWandbJson(run.history[offset]!),
            parseWandbJson(line),
          );
          run.rewrites.push({ offset, identical });
        } else if (offset > run.history.length) {
          run.gaps.push({ offset, end: run.history.length });
        }
        run.history[offset] = line;
      });
    }
    for (const [file, { offset, content }] of Object.entries(body.files ?? {})) {
      if (file === 'wandb-history.jsonl' || file === 'wandb-summary.json') continue;
      const lines = run.streamed.get(file) ?? [];
      content.forEach((line, i) => {
        lines[offset + i] = line;
      });
      run.streamed.set(file, lines);
    }
    const summary = body.files?.['wandb-summary.json']?.content;
    if (summary?.length)
      run.summary = parseWandbJson(summary[summary.length - 1]!) as Record<string, unknown>;
    if (body.uploaded) run.uploaded.push(...body.uploaded);
    if (body.complete) {
      run.complete = true;
      run.exitcode = body.exitcode;
    }
    run.streamRequests.push({
      at: request.at,
      offset: history?.offset,
      lines: history?.content.length ?? 0,
      bytes: request.bytes.length,
      heartbeat: Object.keys(body).length === 0,
      complete: Boolean(body.complete),
    });
    return [200, run.stopped ? { stopped: true } : {}];
  }
}

function matcher(target: FaultTarget): (request: ReceivedRequest) => boolean {
  if (typeof target === 'function') return target;
  if (target === 'file_stream') return (r) => r.path.endsWith('/file_stream');
  if (target === 'graphql') return (r) => r.path === '/graphql';
  if (target === 'upload') return (r) => r.path.startsWith('/storage/');
  return (r) => r.operation === target.operation;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

const SPECIAL: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

/** JSON as W&B writes it, where NaN, Infinity and -Infinity may appear as bare tokens. */
export function parseWandbJson(text: string): unknown {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const token = ['-Infinity', 'Infinity', 'NaN'].find((t) => text.startsWith(t, i));
    if (token) {
      out += `"\\u0000${token}"`;
      i += token.length - 1;
    } else {
      out += c;
    }
  }
  return JSON.parse(out, (_key, value) =>
    typeof value === 'string' && value.startsWith('\u0000') ? SPECIAL[value.slice(1)] : value,
  );
}
