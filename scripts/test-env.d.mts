export declare const repoRoot: string;
export declare function cacheDir(): string;
export declare function venvDir(): string;
export declare function venvBin(name: string): string;
