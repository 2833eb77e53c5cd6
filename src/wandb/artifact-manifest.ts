/**
 * W&B artifact digests and manifests (storage policy `wandb-storage-policy-v1`, layout V2). Pure.
 */
import { createHash } from 'node:crypto';

export interface ManifestFile {
  /** Path inside the artifact (posix separators). */
  readonly path: string;
  /** The file's digest: base64(md5(bytes)). */
  readonly digest: string;
  readonly size: number;
}

/** The artifact's digest: hex md5 of the header line and the sorted `path:digest` lines. */
export function manifestDigest(files: readonly ManifestFile[]): string {
  const hash = createHash('md5').update('wandb-artifact-manifest-v1\n');
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(`${file.path}:${file.digest}\n`);
  }
  return hash.digest('hex');
}

/** The manifest file uploaded with the artifact (`wandb_manifest.json`). */
export function manifestJson(files: readonly ManifestFile[]): string {
  const contents: Record<string, { digest: string; size: number }> = {};
  for (const file of files) contents[file.path] = { digest: file.digest, size: file.size };
  return JSON.stringify({
    version: 1,
    storagePolicy: 'wandb-storage-policy-v1',
    storagePolicyConfig: { storageLayout: 'V2' },
    contents,
  });
}
