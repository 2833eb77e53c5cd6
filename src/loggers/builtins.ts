/** Registers the built-in backends under their configuration names. */
import { LoggerRegistry } from './base-logger.js';
import { ConsoleLogger } from './console-logger.js';
import { OtlpLogger } from './otlp-logger.js';
import { TensorBoardLogger } from './tensorboard-logger.js';
import { WandbLogger } from './wandb-logger.js';

LoggerRegistry.register('console', ConsoleLogger);
LoggerRegistry.register('otlp', OtlpLogger);
LoggerRegistry.register('tensorboard', TensorBoardLogger);
LoggerRegistry.register('wandb', WandbLogger);
