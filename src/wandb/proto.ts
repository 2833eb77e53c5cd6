/**
 * W&B's `Record` message, loaded at run time from the `.proto` file beside this module (the build
 * copies it next to the compiled code).
 */
import { fileURLToPath } from 'node:url';
import type protobuf from 'protobufjs';
import { lazyModule } from '../lazy-module.js';

const protobufjs = lazyModule<typeof protobuf>('protobufjs');

let recordType: protobuf.Type | undefined;

/** `wandb_internal.Record`, loaded once on first use. */
export function wandbRecordType(): protobuf.Type {
  recordType ??= protobufjs()
    .loadSync(fileURLToPath(new URL('wandb_internal.proto', import.meta.url)))
    .lookupType('wandb_internal.Record');
  return recordType;
}
