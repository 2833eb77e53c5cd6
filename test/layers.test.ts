import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { layerViolations } from '../scripts/check-layers.mjs';
import { repoRoot } from '../scripts/test-env.mjs';

/** A src/ tree of `files` (path -> source) in a fresh directory. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'layers-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

describe('the layer check (docs/architecture.md)', () => {
  it('passes on src/', () => {
    expect(layerViolations(path.join(repoRoot, 'src'))).toEqual([]);
  });

  it('names every upward, sibling and config import, type-only and dynamic ones too', () => {
    const src = tree({
      'values.ts': 'export const x = 1;',
      'events/events.ts': "import { TelemetryPipeline } from '../telemetry/pipeline.js';",
      'telemetry/pipeline.ts':
        "import { x } from '../values.js';\nimport type { E } from '../events/events.js';",
      'config/schema.ts': "export { stepAwareBackend } from '../exporters/backend.js';",
      'exporters/backend.ts': "import type { Section } from '../config/schema.js';",
      'trainer/trainer.ts': "import { Bridge } from '../bridge/bridge.js';",
      'bridge/bridge.ts': "import { Logger } from '../loggers/base-logger.js';",
      'loggers/base-logger.ts':
        "import type { Cli } from '../cli/main.js';\nconst m = () => import('../cli/main.js');",
      'cli/main.ts': "import { x } from '../values.js';",
      'plugins/p.ts': "import { x } from '../values.js';",
    });
    expect(layerViolations(src).sort()).toEqual([
      'src/config/schema.ts imports src/exporters/backend.ts: config may import only leaf',
      'src/events/events.ts imports src/telemetry/pipeline.ts: telemetry is above formats',
      'src/exporters/backend.ts imports src/config/schema.ts: config is above exporters',
      'src/loggers/base-logger.ts imports src/cli/main.ts: entry points is above loggers',
      'src/loggers/base-logger.ts imports src/cli/main.ts: entry points is above loggers',
      'src/plugins/p.ts imports src/values.ts: plugins is in no layer (add it to LAYERS in scripts/check-layers.mjs)',
      'src/trainer/trainer.ts imports src/bridge/bridge.ts: trainer and bridge are siblings in one layer',
    ]);
  });

  it('fails the command on an upward import', () => {
    const src = tree({
      'events/events.ts': "import '../loggers/utils.js';",
      'loggers/utils.ts': '',
    });
    const run = spawnSync(process.execPath, ['scripts/check-layers.mjs', src], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('src/events/events.ts imports src/loggers/utils.ts');
  });
});
