/**
 * The demo's model: a two-layer network (tanh hidden layer, softmax output) on TensorFlow.js,
 * with its forward and backward passes written out, so that each is a function of its own (and
 * a span of its own in the demo's traces). The backward pass is the textbook one for softmax
 * with cross-entropy.
 */
import * as tf from '@tensorflow/tfjs';

export interface TwoLayerNetOptions {
  readonly inputs: number;
  readonly hidden: number;
  readonly classes: number;
  readonly seed: number;
}

/** What the forward pass keeps for the backward pass. */
export interface ForwardPass {
  readonly inputs: tf.Tensor2D;
  readonly targets: tf.Tensor2D;
  readonly hidden: tf.Tensor2D;
  readonly probabilities: tf.Tensor2D;
  /** Mean cross-entropy. */
  readonly loss: tf.Scalar;
  readonly accuracy: tf.Scalar;
}

export type Gradients = Readonly<Record<string, tf.Tensor>>;

let instances = 0;

export class TwoLayerNet {
  /** The weights by name (`dense1/kernel`, ...). */
  readonly weights: ReadonlyMap<string, tf.Variable>;
  private readonly classes: number;
  private readonly scope: string;

  constructor(options: TwoLayerNetOptions) {
    this.classes = options.classes;
    // Optimizers find variables by their engine-wide name: keep each network's names apart.
    this.scope = `two_layer_net_${instances++}`;
    const glorot = (fanIn: number, fanOut: number, seed: number) =>
      tf
        .randomUniform([fanIn, fanOut], -1, 1, 'float32', seed)
        .mul(Math.sqrt(6 / (fanIn + fanOut)));
    const make = (name: string, init: tf.Tensor) =>
      [name, tf.variable(init, true, `${this.scope}/${name}`)] as const;
    this.weights = new Map([
      make('dense1/kernel', glorot(options.inputs, options.hidden, options.seed)),
      make('dense1/bias', tf.zeros([options.hidden])),
      make('dense2/kernel', glorot(options.hidden, options.classes, options.seed + 1)),
      make('dense2/bias', tf.zeros([options.classes])),
    ]);
  }

  forward(inputs: tf.Tensor2D, labels: tf.Tensor1D): ForwardPass {
    const targets = tf.oneHot(labels, this.classes).toFloat() as tf.Tensor2D;
    const hidden = tf.tanh(
      inputs.matMul(this.weight('dense1/kernel')).add(this.weight('dense1/bias')),
    ) as tf.Tensor2D;
    const logits = hidden.matMul(this.weight('dense2/kernel')).add(this.weight('dense2/bias'));
    const logProbabilities = tf.logSoftmax(logits);
    const probabilities = logProbabilities.exp() as tf.Tensor2D;
    const loss = targets.mul(logProbabilities).sum(1).mean().neg() as tf.Scalar;
    const accuracy = probabilities.argMax(1).equal(labels).toFloat().mean() as tf.Scalar;
    return { inputs, targets, hidden, probabilities, loss, accuracy };
  }

  backward(pass: ForwardPass): Gradients {
    const batch = pass.inputs.shape[0];
    const dLogits = pass.probabilities.sub(pass.targets).div(batch) as tf.Tensor2D;
    const dHidden = dLogits.matMul(this.weight('dense2/kernel'), false, true);
    const dPreActivation = dHidden.mul(
      tf.onesLike(pass.hidden).sub(pass.hidden.square()),
    ) as tf.Tensor2D;
    return {
      'dense2/kernel': pass.hidden.matMul(dLogits, true, false),
      'dense2/bias': dLogits.sum(0),
      'dense1/kernel': pass.inputs.matMul(dPreActivation, true, false),
      'dense1/bias': dPreActivation.sum(0),
    };
  }

  /** Applies `gradients` with `optimizer`. */
  update(optimizer: tf.Optimizer, gradients: Gradients): void {
    const named: Record<string, tf.Tensor> = {};
    for (const [name, gradient] of Object.entries(gradients)) {
      named[`${this.scope}/${name}`] = gradient;
    }
    optimizer.applyGradients(named);
  }

  dispose(): void {
    for (const variable of this.weights.values()) variable.dispose();
  }

  private weight(name: string): tf.Variable {
    return this.weights.get(name)!;
  }
}
