export declare function layerViolations(srcDir: string): string[];
