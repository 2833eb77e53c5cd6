/**
 * Uploads to a W&B run: bytes to the upload URLs the server hands out, and artifacts through the
 * artifact mutations (create, manifest, files, commit). Shared by the online run and
 * `jepa-loggers wandb-sync`. An artifact the server already holds (same digest) is only given
 * the aliases, so uploading one twice stores it once.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { manifestJson } from './artifact-manifest.js';
import type { Bucket, UploadTarget, WandbGraphql } from './graphql.js';
import type { RetryControl, WandbHttp } from './http-client.js';
import type { StagedArtifact } from './model-artifact.js';

/** Attempts for one upload (upload URLs are short-lived; W&B's clients try about this often). */
const UPLOAD_ATTEMPTS = 20;

/** PUTs `body` to an upload URL the server gave. */
export async function putUpload(
  http: WandbHttp,
  target: UploadTarget,
  body: Uint8Array | string,
  control: RetryControl,
): Promise<void> {
  await http.send(
    {
      method: 'PUT',
      url: target.uploadUrl,
      body,
      headers: target.headers,
      what: `upload of ${target.name}`,
    },
    { maxAttempts: UPLOAD_ATTEMPTS, ...control },
  );
}

/** Stores `artifact` in the run `bucket`; resolves once W&B has committed it. */
export async function uploadArtifact(
  http: WandbHttp,
  graphql: WandbGraphql,
  bucket: Bucket,
  artifact: StagedArtifact,
  control: RetryControl,
): Promise<void> {
  const run = { entityName: bucket.entity, projectName: bucket.project, runName: bucket.name };
  const created = await graphql.createArtifact(
    {
      ...run,
      artifactTypeName: artifact.type,
      artifactCollectionName: artifact.name,
      digest: artifact.digest,
      aliases: artifact.aliases,
      clientID: artifact.clientId,
      sequenceClientID: artifact.sequenceClientId,
    },
    control,
  );
  // COMMITTED: the server already has an artifact with this digest; the aliases were applied.
  if (created.state === 'COMMITTED') return;
  const manifest = manifestJson(artifact.files);
  const { id: manifestId, upload } = await graphql.createArtifactManifest(
    {
      ...run,
      artifactID: created.id,
      digest: createHash('md5').update(manifest).digest('base64'),
    },
    control,
  );
  const targets = await graphql.createArtifactFiles(
    created.id,
    manifestId,
    artifact.files.map((file) => ({ name: file.path, md5: file.digest })),
    control,
  );
  for (const target of targets) {
    const file = artifact.files.find((f) => f.path === target.name)!;
    await putUpload(http, target, await readFile(file.localPath), control);
  }
  await putUpload(http, upload, manifest, control);
  await graphql.commitArtifact(created.id, control);
}
