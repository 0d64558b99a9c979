/**
 * The one place that imports TensorFlow.js. The union package registers every gradient (the
 * `tfjs-core` Node bundle alone registers none: see shared/notes/tfjs-in-node.md, trap 1).
 */
import * as tf from '@tensorflow/tfjs';

export { tf };
export type TF = typeof tf;
export type Tensor = tf.Tensor;
export type Scalar = tf.Scalar;
export type Variable = tf.Variable;
