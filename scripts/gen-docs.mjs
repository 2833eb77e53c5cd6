// Regenerates docs/configuration.md from the configuration schema (run `npm run docs`).
import { writeFileSync } from 'node:fs';
import { CONFIGURATION_DOC_HEADER, configurationReference } from '../dist/config/reference.js';

writeFileSync('docs/configuration.md', `${CONFIGURATION_DOC_HEADER}\n${configurationReference()}`);
console.error('wrote docs/configuration.md');
