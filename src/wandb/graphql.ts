/**
 * The W&B GraphQL operations the exporter uses (the same schema names as W&B's own clients):
 * UpsertBucket creates or updates the run, CreateRunFiles hands out upload URLs for run files,
 * and CreateArtifact / CreateArtifactManifest / CreateArtifactFiles / CommitArtifact store a model.
 */
import { type RetryControl, type WandbHttp, WandbRequestError } from './http-client.js';

/** GraphQL requests are retried about as often as W&B's clients do (then the error stands). */
const GRAPHQL_ATTEMPTS = 20;

const UPSERT_BUCKET = `mutation UpsertBucket($name: String, $project: String, $entity: String, $groupName: String, $displayName: String, $notes: String, $config: JSONString, $host: String, $jobType: String, $tags: [String!]) {
  upsertBucket(input: {name: $name, groupName: $groupName, modelName: $project, entityName: $entity, displayName: $displayName, notes: $notes, config: $config, host: $host, jobType: $jobType, tags: $tags}) {
    bucket { id name displayName project { id name entity { id name } } historyLineCount eventsLineCount logLineCount }
    inserted
  }
}`;

const CREATE_RUN_FILES = `mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
  createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) {
    runID
    uploadHeaders
    files { name uploadUrl }
  }
}`;

const CREATE_ARTIFACT = `mutation CreateArtifact($input: CreateArtifactInput!) {
  createArtifact(input: $input) {
    artifact { id state }
  }
}`;

const CREATE_ARTIFACT_MANIFEST = `mutation CreateArtifactManifest($artifactID: ID!, $name: String!, $digest: String!, $entityName: String!, $projectName: String!, $runName: String!, $manifestType: ArtifactManifestType!) {
  createArtifactManifest(input: {artifactID: $artifactID, name: $name, digest: $digest, entityName: $entityName, projectName: $projectName, runName: $runName, type: $manifestType}) {
    artifactManifest { id file { id uploadUrl uploadHeaders } }
  }
}`;

const CREATE_ARTIFACT_FILES = `mutation CreateArtifactFiles($input: CreateArtifactFilesInput!) {
  createArtifactFiles(input: $input) {
    files { edges { node { uploadUrl uploadHeaders } } }
  }
}`;

const COMMIT_ARTIFACT = `mutation CommitArtifact($artifactID: ID!) {
  commitArtifact(input: {artifactID: $artifactID}) {
    artifact { id digest }
  }
}`;

export interface UpsertBucketVariables {
  /** The run id. */
  readonly name: string;
  readonly project: string;
  /** Undefined: the key owner's default entity. */
  readonly entity?: string;
  readonly displayName?: string;
  readonly notes?: string;
  readonly groupName?: string;
  readonly jobType?: string;
  readonly tags?: readonly string[];
  readonly host?: string;
  /** `{"key": {"value": v}}` as a JSON string. */
  readonly config?: string;
}

/** A run as UpsertBucket creates it: a live run's info, or a recorded run's. */
export interface BucketRun {
  readonly id: string;
  readonly project?: string;
  readonly entity?: string;
  readonly displayName?: string;
  readonly notes?: string;
  readonly group?: string;
  readonly jobType?: string;
  readonly tags: readonly string[];
  readonly host?: string;
}

/**
 * The variables that create (or continue) `run` with `configJson`. Tags only when there are
 * some: an empty list would clear tags set in the W&B app on a continued run (`wandb sync` sends
 * none either).
 */
export function runBucketVariables(
  run: BucketRun & { readonly project: string },
  configJson: string | undefined,
): UpsertBucketVariables {
  return {
    name: run.id,
    project: run.project,
    entity: run.entity,
    displayName: run.displayName,
    notes: run.notes,
    groupName: run.group,
    jobType: run.jobType,
    tags: run.tags.length > 0 ? run.tags : undefined,
    host: run.host,
    config: configJson,
  };
}

export interface Bucket {
  readonly id: string;
  readonly name: string;
  readonly entity: string;
  readonly project: string;
  readonly historyLineCount: number;
  /** Lines of `wandb-events.jsonl` and `output.log` the server has: where a continued run appends. */
  readonly eventsLineCount: number;
  readonly logLineCount: number;
  readonly inserted: boolean;
}

export interface UploadTarget {
  readonly name: string;
  readonly uploadUrl: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface CreateArtifactInput {
  readonly entityName: string;
  readonly projectName: string;
  readonly runName: string;
  readonly artifactTypeName: string;
  readonly artifactCollectionName: string;
  readonly digest: string;
  readonly aliases: readonly string[];
  readonly clientID: string;
  readonly sequenceClientID: string;
}

export class WandbGraphql {
  constructor(private readonly http: WandbHttp) {}

  async upsertBucket(
    variables: UpsertBucketVariables,
    control: RetryControl = {},
  ): Promise<Bucket> {
    const data = await this.call<{
      upsertBucket: {
        bucket: {
          id: string;
          name: string;
          project: { name: string; entity: { name: string } };
          historyLineCount?: number | null;
          eventsLineCount?: number | null;
          logLineCount?: number | null;
        };
        inserted?: boolean | null;
      };
    }>('UpsertBucket', UPSERT_BUCKET, variables, { ...control, retry409: true });
    const { bucket, inserted } = data.upsertBucket;
    return {
      id: bucket.id,
      name: bucket.name,
      project: bucket.project.name,
      entity: bucket.project.entity.name,
      historyLineCount: bucket.historyLineCount ?? 0,
      eventsLineCount: bucket.eventsLineCount ?? 0,
      logLineCount: bucket.logLineCount ?? 0,
      inserted: inserted ?? true,
    };
  }

  async createRunFiles(
    run: { entity: string; project: string; run: string },
    files: readonly string[],
    control: RetryControl = {},
  ): Promise<UploadTarget[]> {
    const data = await this.call<{
      createRunFiles: {
        uploadHeaders?: string[] | null;
        files: { name: string; uploadUrl: string }[];
      };
    }>('CreateRunFiles', CREATE_RUN_FILES, { ...run, files }, control);
    const headers = parseHeaders(data.createRunFiles.uploadHeaders);
    return data.createRunFiles.files.map((file) => ({ ...file, headers }));
  }

  async createArtifact(
    input: CreateArtifactInput,
    control: RetryControl = {},
  ): Promise<{ id: string; state: string }> {
    const data = await this.call<{ createArtifact: { artifact: { id: string; state: string } } }>(
      'CreateArtifact',
      CREATE_ARTIFACT,
      {
        input: {
          ...input,
          aliases: input.aliases.map((alias) => ({
            alias,
            artifactCollectionName: input.artifactCollectionName,
          })),
          digestAlgorithm: 'MANIFEST_MD5',
          enableDigestDeduplication: true,
        },
      },
      control,
    );
    return data.createArtifact.artifact;
  }

  /** A FULL manifest named `wandb_manifest.json` whose digest is base64(md5(manifest json)). */
  async createArtifactManifest(
    variables: {
      artifactID: string;
      digest: string;
      entityName: string;
      projectName: string;
      runName: string;
    },
    control: RetryControl = {},
  ): Promise<{ id: string; upload: UploadTarget }> {
    const data = await this.call<{
      createArtifactManifest: {
        artifactManifest: {
          id: string;
          file: { uploadUrl: string; uploadHeaders?: string[] | null };
        };
      };
    }>(
      'CreateArtifactManifest',
      CREATE_ARTIFACT_MANIFEST,
      { ...variables, name: 'wandb_manifest.json', manifestType: 'FULL' },
      control,
    );
    const manifest = data.createArtifactManifest.artifactManifest;
    return {
      id: manifest.id,
      upload: {
        name: 'wandb_manifest.json',
        uploadUrl: manifest.file.uploadUrl,
        headers: parseHeaders(manifest.file.uploadHeaders),
      },
    };
  }

  async createArtifactFiles(
    artifactID: string,
    artifactManifestID: string,
    files: readonly { name: string; md5: string }[],
    control: RetryControl = {},
  ): Promise<UploadTarget[]> {
    const data = await this.call<{
      createArtifactFiles: {
        files: { edges: { node: { uploadUrl: string | null; uploadHeaders?: string[] | null } }[] };
      };
    }>(
      'CreateArtifactFiles',
      CREATE_ARTIFACT_FILES,
      {
        input: {
          storageLayout: 'V2',
          artifactFiles: files.map((file) => ({ artifactID, artifactManifestID, ...file })),
        },
      },
      control,
    );
    // A null upload URL means the server already has these bytes.
    return data.createArtifactFiles.files.edges.flatMap(({ node }, index) =>
      node.uploadUrl
        ? [
            {
              name: files[index]!.name,
              uploadUrl: node.uploadUrl,
              headers: parseHeaders(node.uploadHeaders),
            },
          ]
        : [],
    );
  }

  async commitArtifact(artifactID: string, control: RetryControl = {}): Promise<void> {
    await this.call('CommitArtifact', COMMIT_ARTIFACT, { artifactID }, control);
  }

  private async call<T>(
    operationName: string,
    query: string,
    variables: object,
    control: RetryControl,
  ): Promise<T> {
    const response = await this.http.send(
      {
        method: 'POST',
        url: '/graphql',
        what: operationName,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables, operationName }),
      },
      { maxAttempts: GRAPHQL_ATTEMPTS, ...control },
    );
    let answer: { data?: T | null; errors?: { message?: string }[] };
    try {
      answer = JSON.parse(response.body);
    } catch {
      throw new WandbRequestError(`W&B ${operationName}: the answer is not JSON`, response.status);
    }
    if (answer.errors?.length || !answer.data) {
      const messages = answer.errors?.map((error) => error.message ?? '?').join('; ');
      throw new WandbRequestError(
        this.http.redact(`W&B ${operationName} failed: ${messages ?? 'no data in the answer'}`),
        response.status,
      );
    }
    return answer.data;
  }
}

/** Upload headers come as `"Name:value"` strings. */
function parseHeaders(lines: readonly string[] | null | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines ?? []) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return headers;
}
