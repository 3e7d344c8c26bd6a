"""Maxout units (Goodfellow et al. 2013), from the course's activation list (seed 000).

Seed 000, Unit 02 lists Maxout among the activation functions as
max(w1'x + b1, w2'x + b2); with k pieces it is max over k affine maps.
"""

from __future__ import annotations

import keras
from keras import ops

from tfcourse._validation import check_bool, check_int

__all__ = ["Maxout"]


@keras.saving.register_keras_serializable(package="tfcourse")
class Maxout(keras.layers.Layer):
    """A Dense layer with ``num_pieces`` affine pieces per unit, reduced by max.

    For unit u (seed 000)::

        y_u = max(w_{u,1}'x + b_{u,1}, ..., w_{u,k}'x + b_{u,k})       k = num_pieces

    The pieces are stored as one Dense-like kernel of shape
    ``(input_dim, units * num_pieces)`` and bias ``(units * num_pieces,)``;
    column ``u * num_pieces + p`` holds piece p of unit u, the layout of
    ``tf.contrib.layers.maxout(Dense(units * k)(x), units)`` in TF1, so TF1
    weights transfer unchanged. Initializers see a Dense kernel
    (fan_in = input_dim, fan_out = units * num_pieces).

    Maxout replaces a Dense layer *and* its activation.

    Args:
        units: number of output units, >= 1.
        num_pieces: number of affine pieces k per unit, >= 1 (k = 1 is a
            plain Dense layer). Defaults to ``2``, the seed's example.
        use_bias: add the biases b. Defaults to ``True``.
        kernel_initializer: Defaults to ``"glorot_uniform"`` (the Dense default).
        bias_initializer: Defaults to ``"zeros"``.
        kernel_regularizer: a Keras regularizer of the kernel (``MLPSpec``'s
            weight decay). Defaults to ``None``.

    Example:

    >>> layer = Maxout(256, num_pieces=2)
    >>> tuple(layer(keras.ops.ones((4, 784))).shape)
    (4, 256)

    References: Goodfellow et al., 2013 (arXiv:1302.4389); seed 000, Unit 02.
    """

    def __init__(self, units, num_pieces=2, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = check_int("units", units, low=1)
        self.num_pieces = check_int("num_pieces", num_pieces, low=1)
        self.use_bias = check_bool("use_bias", use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        input_dim = check_int("input_shape[-1]", input_shape[-1], low=1)
        width = self.units * self.num_pieces
        self.kernel = self.add_weight(shape=(input_dim, width), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.bias = (self.add_weight(shape=(width,), name="bias",
                                     initializer=self.bias_initializer)
                     if self.use_bias else None)

    def call(self, inputs):
        z = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            z = z + self.bias
        z = ops.reshape(z, (*ops.shape(z)[:-1], self.units, self.num_pieces))
        return ops.max(z, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "num_pieces": self.num_pieces,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
        }
