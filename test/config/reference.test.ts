import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONFIGURATION_DOC_HEADER,
  configurationKeys,
  configurationReference,
} from '../../src/config/reference.js';

const doc = readFileSync(join(import.meta.dirname, '../../docs/configuration.md'), 'utf8');

describe('docs/configuration.md', () => {
  it('names every key of the schema and no key the schema lacks', () => {
    const documented = [...doc.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(configurationKeys().sort());
  });

  it('is exactly what the schema generates (run `npm run docs` after changing the schema)', () => {
    expect(doc).toBe(`${CONFIGURATION_DOC_HEADER}\n${configurationReference()}`);
  });
});
