/** Trainer callbacks and a minimal training loop (the Python API's `trainer` package). */
export {
  announceLength,
  LoggingCallback,
  type LoggingCallbackOptions,
  type TrainerCallback,
} from './callbacks.js';
export {
  type Batches,
  type OptimizerLike,
  type OptimizerState,
  optimizerState,
  type StepOutputs,
  Trainer,
  type TrainerOptions,
  type TrainerState,
  type ValidationMetrics,
} from './trainer.js';
