"""The parts of ``tf.contrib.layers`` the course uses, rebuilt on ``tf.compat.v1``.

TensorFlow 2 removed ``tf.contrib``. The course's Xavier labs (seed 001,
"Xavier initialization: 97.8%") create weights with::

    W1 = tf.get_variable("W1", shape=[784, 256],
                         initializer=tf.contrib.layers.xavier_initializer())

:func:`variance_scaling_initializer` follows TF1's contrib code (see
``reference/conventions.md`` section 4), with n chosen by ``mode``
(fan_in, fan_out or their average):

    uniform=True:   W ~ U(-limit, limit),  limit = sqrt(3 * factor / n)
    uniform=False:  W ~ truncated normal(0, stddev) cut at 2 stddev,
                    stddev = sqrt(1.3 * factor / n)

(contrib uses 1.3, not the 1/0.8796^2 = 1.2925 of tf.compat.v1 and Keras, so
its truncated normal is 0.29% wider.) ``xavier_initializer(uniform=True)`` is
factor 1, FAN_AVG: limit sqrt(6 / (fan_in + fan_out)), Keras' GlorotUniform.
Fans: a (fan_in, fan_out) matrix gives its two sizes; a conv kernel
(k..., in, out) multiplies both by the receptive field; a 1-D shape (n,) uses n.
"""

from __future__ import annotations

import math

import tensorflow as tf

from tfcourse._validation import check_bool, check_choice, check_int, check_non_negative
from tfcourse.compat import layers as _layers

tf1 = tf.compat.v1

MODES = ("FAN_IN", "FAN_OUT", "FAN_AVG")


def _fans(shape) -> tuple[float, float]:
    shape = [int(dim) for dim in shape]
    if not shape:
        return 1.0, 1.0
    fan_in = float(shape[-2]) if len(shape) > 1 else float(shape[-1])
    fan_out = float(shape[-1])
    for dim in shape[:-2]:
        fan_in *= dim
        fan_out *= dim
    return fan_in, fan_out


class VarianceScaling:
    """The initializer returned by :func:`variance_scaling_initializer`."""

    def __init__(self, factor, mode, uniform, seed, dtype):
        self.factor = factor
        self.mode = mode
        self.uniform = uniform
        self.seed = seed
        self.dtype = dtype

    def __call__(self, shape, dtype=None, partition_info=None):
        dtype = tf.as_dtype(dtype or self.dtype)
        fan_in, fan_out = _fans(shape)
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[self.mode]
        if self.uniform:
            limit = math.sqrt(3.0 * self.factor / n)
            return tf1.random_uniform(shape, -limit, limit, dtype, seed=self.seed)
        stddev = math.sqrt(1.3 * self.factor / n)
        return tf1.truncated_normal(shape, 0.0, stddev, dtype, seed=self.seed)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode, "uniform": self.uniform,
                "seed": self.seed, "dtype": tf.as_dtype(self.dtype).name}


def _check_float_dtype(dtype):
    dtype = tf.as_dtype(dtype)
    if not dtype.is_floating:
        raise TypeError(
            f"`dtype` must be a floating point type such as tf.float32. Received: dtype={dtype.name!r}"
        )
    return dtype


def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None,
                                 dtype=tf.float32):
    """TF1's ``tf.contrib.layers.variance_scaling_initializer`` (He by default).

    Args:
        factor: the scale, >= 0. Defaults to ``2.0`` (He).
        mode: ``"FAN_IN"``, ``"FAN_OUT"`` or ``"FAN_AVG"``. Defaults to ``"FAN_IN"``.
        uniform: uniform (True) or truncated normal (False, the default).
        seed: op-level seed (combined with the graph seed as in TF1).
        dtype: a floating dtype. Defaults to ``tf.float32``.
    """
    factor = check_non_negative("factor", factor)
    check_choice("mode", mode, MODES)
    uniform = check_bool("uniform", uniform)
    if seed is not None:
        seed = check_int("seed", seed)
    return VarianceScaling(factor, mode, uniform, seed, _check_float_dtype(dtype))


def xavier_initializer(uniform=True, seed=None, dtype=tf.float32):
    """TF1's ``tf.contrib.layers.xavier_initializer``: factor 1, FAN_AVG, uniform by default.

    ``uniform=True`` draws from U(-sqrt(6/(fan_in+fan_out)), +sqrt(6/(fan_in+fan_out)))
    (Keras' GlorotUniform); ``uniform=False`` from a truncated normal with
    stddev sqrt(1.3 * 2/(fan_in+fan_out)).
    """
    return variance_scaling_initializer(factor=1.0, mode="FAN_AVG", uniform=uniform,
                                        seed=seed, dtype=dtype)


xavier_initializer_conv2d = xavier_initializer


def l2_regularizer(scale, scope=None):
    """TF1's ``tf.contrib.layers.l2_regularizer``: ``weights -> scale * sum(w**2) / 2``."""
    scale = check_non_negative("scale", scale)

    def l2(weights):
        if scale == 0.0:
            return None
        with tf1.name_scope(scope, "l2_regularizer", [weights]) as name:
            return tf1.multiply(tf.cast(scale, weights.dtype.base_dtype), tf1.nn.l2_loss(weights), name=name)

    return l2


def fully_connected(inputs, num_outputs, activation_fn=tf1.nn.relu, normalizer_fn=None,
                    normalizer_params=None, weights_initializer=None,
                    weights_regularizer=None, biases_initializer=tf1.zeros_initializer(),
                    biases_regularizer=None, reuse=None, variables_collections=None,
                    outputs_collections=None, trainable=True, scope=None):
    """TF1's ``tf.contrib.layers.fully_connected``: ``activation_fn(inputs @ weights + biases)``.

    Variables are ``<scope>/weights`` and ``<scope>/biases`` (scope defaults to
    ``fully_connected``, ``fully_connected_1``...). ``weights_initializer``
    defaults to :func:`xavier_initializer`. With a ``normalizer_fn`` there are no
    biases and ``normalizer_fn(outputs, **normalizer_params)`` is applied
    before the activation, as in TF1.
    """
    num_outputs = check_int("num_outputs", num_outputs, 1)
    inputs = tf1.convert_to_tensor(inputs)
    in_dim = inputs.shape[-1]
    if in_dim is None:
        raise ValueError(
            f"The last dimension of `inputs` must be known. Received: inputs with shape {inputs.shape}"
        )
    dtype = inputs.dtype.base_dtype
    with tf1.variable_scope(scope, default_name="fully_connected", values=[inputs], reuse=reuse) as sc:
        weights = tf1.get_variable(
            "weights", [int(in_dim), num_outputs], dtype=dtype,
            initializer=weights_initializer or xavier_initializer(),
            regularizer=weights_regularizer, trainable=trainable,
            collections=_collections(variables_collections),
        )
        outputs = _layers.apply_kernel(inputs, weights)
        if normalizer_fn is not None:
            outputs = normalizer_fn(outputs, **(normalizer_params or {}))
        elif biases_initializer is not None:
            biases = tf1.get_variable(
                "biases", [num_outputs], dtype=dtype, initializer=biases_initializer,
                regularizer=biases_regularizer, trainable=trainable,
                collections=_collections(variables_collections),
            )
            outputs = tf1.nn.bias_add(outputs, biases)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        if outputs_collections:
            for collection in outputs_collections:
                tf1.add_to_collection(collection, outputs)
        del sc
        return outputs


def _collections(extra):
    if not extra:
        return None
    return [tf1.GraphKeys.GLOBAL_VARIABLES, *extra]


def flatten(inputs, outputs_collections=None, scope=None):
    """TF1's ``tf.contrib.layers.flatten``: (N, ...) -> (N, prod(...))."""
    del outputs_collections
    return _layers.flatten(inputs, name=scope or "Flatten")
