/**
 * A model for W&B's artifact store (the Python API's `log_model`): a file, a directory or bytes,
 * copied into a staging directory first (so that a checkpoint overwritten later cannot change what
 * is uploaded) and described by a manifest. The upload itself is the online run's or `wandb
 * sync`'s.
 */
import { createHash, randomInt } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { type ManifestFile, manifestDigest } from './artifact-manifest.js';

export const MODEL_ARTIFACT_TYPE = 'model';

export interface StagedFile extends ManifestFile {
  /** The staged copy. */
  readonly localPath: string;
}

export interface StagedArtifact {
  readonly type: string;
  /** The artifact collection's name. */
  readonly name: string;
  /** Always includes `latest`, as W&B adds it. */
  readonly aliases: readonly string[];
  readonly files: readonly StagedFile[];
  /** Hex manifest digest. */
  readonly digest: string;
  /** Random ids W&B clients send so that retried creations are recognised. */
  readonly clientId: string;
  readonly sequenceClientId: string;
}

const NAME = /^[A-Za-z0-9_.-]+$/;

/** Throws an error naming the culprit when `name` or an alias is not one W&B accepts. */
function checkArtifactNames(name: unknown, aliases: unknown): asserts aliases is string[] {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TypeError(
      `logModel: name ${JSON.stringify(name)} must be letters, digits, '-', '_' or '.' (a W&B artifact name)`,
    );
  }
  if (!Array.isArray(aliases)) throw new TypeError('logModel: aliases must be a list of strings');
  for (const alias of aliases) {
    if (typeof alias !== 'string' || alias === '' || /[/:]/.test(alias)) {
      throw new TypeError(
        `logModel: alias ${JSON.stringify(alias)} must be a non-empty string without '/' or ':'`,
      );
    }
  }
}

/**
 * Copies `model` (a path to a file or directory, or bytes stored as `<name>.bin`) into a new
 * directory under `stagingRoot` and describes it.
 */
export async function stageModel(
  model: string | Uint8Array,
  name: string,
  aliases: readonly string[],
  stagingRoot: string,
): Promise<StagedArtifact> {
  checkArtifactNames(name, aliases);
  const dir = join(stagingRoot, `${name}-${randomId(8)}`);
  await mkdir(dir, { recursive: true });
  const sources: { path: string; from: string | Uint8Array }[] = [];
  if (typeof model === 'string') {
    const info = await stat(model).catch(() => {
      throw new Error(`logModel('${name}'): no file or directory at ${model}`);
    });
    if (info.isDirectory()) {
      for (const file of await listFiles(model)) {
        sources.push({ path: relative(model, file).split(sep).join('/'), from: file });
      }
      if (sources.length === 0) throw new Error(`logModel('${name}'): directory ${model} is empty`);
    } else {
      sources.push({ path: basename(model), from: model });
    }
  } else if (model instanceof Uint8Array) {
    sources.push({ path: `${name}.bin`, from: model });
  } else {
    throw new TypeError(`logModel('${name}'): the model must be a path or bytes (Uint8Array)`);
  }
  const files: StagedFile[] = [];
  for (const source of sources) {
    const localPath = join(dir, ...source.path.split('/'));
    await mkdir(dirname(localPath), { recursive: true });
    if (typeof source.from === 'string') await copyFile(source.from, localPath);
    else await writeFile(localPath, source.from);
    const { digest, size } = await md5OfFile(localPath);
    files.push({ path: source.path, digest, size, localPath });
  }
  return {
    type: MODEL_ARTIFACT_TYPE,
    name,
    aliases: aliases.includes('latest') ? [...aliases] : [...aliases, 'latest'],
    files,
    digest: manifestDigest(files),
    clientId: randomId(128),
    sequenceClientId: randomId(128),
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

/** base64 md5 and size, read in a stream (checkpoints can be larger than memory allows). */
function md5OfFile(path: string): Promise<{ digest: string; size: number }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('md5');
    let size = 0;
    createReadStream(path)
      .on('data', (chunk) => {
        hash.update(chunk);
        size += chunk.length;
      })
      .on('error', reject)
      .on('end', () => resolve({ digest: hash.digest('base64'), size }));
  });
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomId(length: number): string {
  let id = '';
  for (let i = 0; i < length; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}
