/**
 * Python `logging`'s levels and their numbers: the one table behind the console's `level`,
 * ConditionalLogger's `level_filter` and the library's own diagnostics.
 */
export const LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 } as const;
export type Level = keyof typeof LEVELS;

export function isLevel(name: string): name is Level {
  return Object.hasOwn(LEVELS, name);
}
