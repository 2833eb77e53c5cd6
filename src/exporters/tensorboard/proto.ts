/**
 * The TensorBoard message types, loaded at run time from the `.proto` files beside this module
 * (the build copies them next to the compiled code).
 */
import { fileURLToPath } from 'node:url';
import type protobuf from 'protobufjs';
import { lazyModule } from '../../lazy-module.js';

const protobufjs = lazyModule<typeof protobuf>('protobufjs');

export interface TensorBoardTypes {
  readonly Event: protobuf.Type;
  readonly Summary: protobuf.Type;
  readonly HParamsPluginData: protobuf.Type;
}

let types: TensorBoardTypes | undefined;

/** Loads the definitions once, on first use. */
export function tensorboardTypes(): TensorBoardTypes {
  if (!types) {
    const root = protobufjs().loadSync(
      ['tensorboard.proto', 'hparams.proto'].map((name) =>
        fileURLToPath(new URL(name, import.meta.url)),
      ),
    );
    types = {
      Event: root.lookupType('tensorboard.Event'),
      Summary: root.lookupType('tensorboard.Summary'),
      HParamsPluginData: root.lookupType('tensorboard.hparams.HParamsPluginData'),
    };
  }
  return types;
}
