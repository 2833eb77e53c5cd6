/**
 * `mkdir -p` whose error says why. Node's recursive mkdir reports ENOENT ("no such file or
 * directory") when a parent cannot be created; behind it is usually a read-only file system or a
 * directory the process may not write (EROFS, EACCES), and that is the error given here, naming
 * the nearest directory that exists.
 */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export function makeDirectory(path: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    let existing = dirname(path);
    while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
    // Throws the real reason: EROFS for a read-only mount, EACCES for permissions.
    accessSync(existing, constants.W_OK);
    throw error;
  }
}
