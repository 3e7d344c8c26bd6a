"""``TF1Dense``: ``keras.layers.Dense`` computing ``tf.matmul(X, W) + b`` with TF1's ops.

The course's programs write a fully connected layer as ``tf.matmul(X, W1) + b1``
(an ``AddV2`` op). Keras' ``Dense`` adds its bias with ``BiasAdd``. Forward,
both give the same values; backward, the bias gradient is summed over the
batch by a different kernel (``BiasAddGrad`` vs ``Sum``), so the two differ by
float32 rounding from the first step on, which networks started from
``tf.random_normal`` weights (losses in the hundreds) amplify: 200 steps of
seed 004's gradient-descent MNIST program end about 30% apart. ``TF1Dense``
adds the bias as the program did, so a ported program follows its TF1
original to the last bit (``tfcourse compare``); in every other respect it
is ``Dense`` (same weights, arguments, config), and ``keras.layers.Dense`` can
replace it in a program that does not need that exactness.
"""

from __future__ import annotations

import keras
from keras import ops

__all__ = ["TF1Dense"]


@keras.saving.register_keras_serializable(package="tfcourse")
class TF1Dense(keras.layers.Dense):
    """``keras.layers.Dense`` whose bias is added as ``tf.matmul(X, W) + b`` adds it (``AddV2``).

    Computes ``activation(inputs @ kernel + bias)`` exactly as ``Dense`` does,
    with the bias addition written so that the TensorFlow backend runs
    ``AddV2`` rather than ``BiasAdd`` (see the module docstring). Arguments,
    weights and config are ``Dense``'s.

    Example:

    >>> import numpy as np
    >>> layer = TF1Dense(2, kernel_initializer="ones")
    >>> layer(np.ones((1, 3), "float32")).shape
    (1, 2)
    """

    def call(self, inputs, training=None):
        x = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            # bias first: keras.ops.add(x, bias) becomes tf.nn.bias_add.
            x = ops.add(self.bias, x)
        if self.activation is not None:
            x = self.activation(x)
        return x
