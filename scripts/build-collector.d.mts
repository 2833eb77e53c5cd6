export declare const manifestPath: string;
export declare function collectorBinary(): string;
export declare function manifestRelease(manifest: Record<string, unknown>): string;
export declare function buildCollector(options?: { log?: (line: string) => void }): string;
