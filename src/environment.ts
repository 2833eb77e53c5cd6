/**
 * Environment variables, as `process.env` holds them. A plain type rather than Node's `ProcessEnv`,
 * so that the package's declarations need no Node.js types.
 */
export type Environment = Readonly<Record<string, string | undefined>>;
