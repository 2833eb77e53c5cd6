/**
 * Environment variables, as `process.env` holds them. A plain type rather than Node's `ProcessEnv`,
 * so that the package's declarations need no Node.js types.
 */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Where console lines go: `process.stderr`, a file stream, anything with `write`. Structural, so
 * that the package's declarations need no Node.js types.
 */
export interface TextStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}
