/**
 * The API key of a W&B server: the one given (`WANDB_API_KEY`, a configuration's `api_key`), else
 * the one `wandb login` saved, the password of the server's host in `~/.netrc` (or the file
 * `NETRC` names), so users who logged in with W&B's CLI need no variable.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Environment } from '../environment.js';

/** The W&B cloud, where runs go when no base URL is given. */
export const DEFAULT_BASE_URL = 'https://api.wandb.ai';

/** `given` when it is set, else the key netrc holds for `baseUrl`'s host. */
export function wandbApiKey(baseUrl: string, env: Environment, given?: string): string | undefined {
  return given || netrcPassword(new URL(baseUrl).hostname, env);
}

/** The password netrc holds for `host`, if any. */
export function netrcPassword(host: string, env: Environment): string | undefined {
  const file = env.NETRC || join(env.HOME || homedir(), '.netrc');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return parseNetrc(text).get(host);
}

/** Host -> password from netrc text (`machine`, `login`, `password`, `default`, `macdef`). */
export function parseNetrc(text: string): Map<string, string> {
  const passwords = new Map<string, string>();
  const lines = text.split('\n');
  let machine: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const tokens = lines[i]!.trim().split(/\s+/).filter(Boolean);
    for (let t = 0; t < tokens.length; t++) {
      const token = tokens[t];
      if (token === 'machine') machine = tokens[++t];
      else if (token === 'default') machine = undefined;
      else if (token === 'password' && machine !== undefined) {
        const password = tokens[++t];
        if (password !== undefined) passwords.set(machine, password);
      } else if (token === 'login' || token === 'account') t++;
      else if (token === 'macdef') {
        // A macro runs to the next empty line.
        while (i + 1 < lines.length && lines[i + 1]!.trim() !== '') i++;
        break;
      }
    }
  }
  return passwords;
}
