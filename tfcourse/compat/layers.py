"""``tf.layers.*`` (TF1's functional layers), rebuilt on ``tf.compat.v1``.

On TensorFlow 2.16+ ``tf.compat.v1.layers.dense`` raises "not available with
Keras 3": the TF1 layers need Keras 2. These functions rebuild the ones course
programs use from ``tf.compat.v1.get_variable`` and ``tf.nn`` ops, with TF1's
defaults and variable names (``dense/kernel``, ``dense/bias``,
``dense_1/kernel``, ``conv2d/kernel``, ``batch_normalization/gamma`` ...), so
Savers, ``tf.trainable_variables()`` and traces see what TF1 showed. Kernels
default to Glorot uniform and biases to zeros, as in TF1.

``batch_normalization`` keeps TF1's contract (seed 000, Algorithm 1 for
training, moving averages for inference)::

    training:   y = gamma * (x - mu_B) / sqrt(var_B + epsilon) + beta
                (mu_B, var_B: batch mean and biased variance over all axes but `axis`)
    inference:  y = gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta
    update ops: moving_mean     -= (moving_mean - mu_B) * (1 - momentum)
                moving_variance -= (moving_variance - var_B') * (1 - momentum)

``training`` defaults to ``False`` (a Python bool or a boolean tensor such as a
placeholder). The two update ops go to ``tf.GraphKeys.UPDATE_OPS`` and run only
if the program runs them, usually with
``with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS))``.
var_B' is var_B for inputs of rank 2 or 3; for 4-D inputs TF1 used the fused
kernel, whose update uses the unbiased m/(m-1) var_B (m: values per channel),
and so does this function. momentum 0.99, epsilon 1e-3.

Each call records one :class:`~tfcourse.compat.layer_calls.LayerCall` (its
inputs, output, variables and settings) for the porter.
"""

from __future__ import annotations

import numbers

import numpy as np
import tensorflow as tf

from tfcourse._validation import check_choice, check_int, check_range, reject_inapplicable
from tfcourse.compat.layer_calls import activation_name, record_layer_call
from tfcourse.compat.removed import layers_error

tf1 = tf.compat.v1

PADDINGS = ("valid", "same")
DATA_FORMATS = ("channels_last", "channels_first")


def pair(name, value):
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"`{name}` must be an int or a pair of ints. Received: {name}={value!r}")
        return tuple(check_int(name, v, 1) for v in value)
    value = check_int(name, value, 1)
    return value, value


def static_training(training):
    """True/False when known when the graph is built, None for a tensor."""
    if isinstance(training, (bool, np.bool_)):
        return bool(training)
    if isinstance(training, (int, np.integer)):
        return bool(training)
    value = tf.get_static_value(training)
    return None if value is None else bool(value)


def smart_cond(training, true_fn, false_fn):
    value = static_training(training)
    if value is None:
        return tf1.cond(tf.cast(training, tf.bool), true_fn, false_fn)
    return true_fn() if value else false_fn()


def apply_kernel(inputs, kernel):
    """``inputs @ kernel`` over the last axis, for inputs of any rank >= 2."""
    if inputs.shape.rank == 2:
        return tf1.matmul(inputs, kernel)
    outputs = tf1.tensordot(inputs, kernel, [[inputs.shape.rank - 1], [0]])
    outputs.set_shape(inputs.shape[:-1].concatenate(kernel.shape[-1:]))
    return outputs


def _add_activity_regularizer(regularizer, outputs):
    if regularizer is not None:
        loss = regularizer(outputs)
        if loss is not None:
            tf1.add_to_collection(tf1.GraphKeys.REGULARIZATION_LOSSES, loss)


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None,
          bias_initializer=tf1.zeros_initializer(), kernel_regularizer=None,
          bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
          bias_constraint=None, trainable=True, name=None, reuse=None):
    """TF1's ``tf.layers.dense``: ``activation(inputs @ kernel + bias)``.

    Variables ``<name>/kernel`` (in, units) and ``<name>/bias`` (units,); the
    name defaults to ``dense``, ``dense_1``... Inputs of rank > 2 are
    multiplied along their last axis.
    """
    units = check_int("units", units, 1)
    inputs = tf1.convert_to_tensor(inputs)
    in_dim = inputs.shape[-1] if inputs.shape.rank else None
    if in_dim is None:
        raise ValueError(
            f"The last dimension of the inputs to `dense` must be known. Received: inputs "
            f"with shape {inputs.shape}"
        )
    dtype = inputs.dtype.base_dtype
    with tf1.variable_scope(name, default_name="dense", values=[inputs], reuse=reuse):
        kernel = tf1.get_variable(
            "kernel", [int(in_dim), units], dtype=dtype,
            initializer=kernel_initializer or tf1.glorot_uniform_initializer(),
            regularizer=kernel_regularizer, constraint=kernel_constraint, trainable=trainable,
        )
        outputs = apply_kernel(inputs, kernel)
        if use_bias:
            bias = tf1.get_variable(
                "bias", [units], dtype=dtype, initializer=bias_initializer,
                regularizer=bias_regularizer, constraint=bias_constraint, trainable=trainable,
            )
            outputs = tf1.nn.bias_add(outputs, bias)
        if activation is not None:
            outputs = activation(outputs)
        _add_activity_regularizer(activity_regularizer, outputs)
        scope = tf1.get_variable_scope().name
    variables = {"kernel": kernel, **({"bias": bias} if use_bias else {})}
    record_layer_call("tf.layers.dense", inputs, outputs, variables, {
        "units": units, "activation": activation_name(activation), "use_bias": bool(use_bias),
        "kernel_regularizer": kernel_regularizer is not None, "trainable": trainable,
        "scope": scope})
    return outputs


def dropout(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None):
    """TF1's ``tf.layers.dropout``: drops a fraction ``rate`` when ``training`` is true.

    Unlike ``tf.nn.dropout(x, keep_prob)``, ``rate`` is the *drop* probability,
    and nothing happens unless ``training`` is True (the default is False).
    Kept units are scaled by 1 / (1 - rate). ``rate`` may be a tensor (a
    placeholder fed per run).
    """
    if isinstance(rate, numbers.Real):
        rate = check_range("rate", rate, 0.0, 1.0, high_open=True)
    with tf1.name_scope(name, "dropout", [inputs]):
        inputs = tf1.convert_to_tensor(inputs)
        outputs = switched_dropout(inputs, rate, training, noise_shape, seed)
    record_layer_call("tf.layers.dropout", inputs, outputs, {},
                      {"rate": rate, "noise_shape": noise_shape, "seed": seed}, training)
    return outputs


def switched_dropout(inputs, rate, training, noise_shape=None, seed=None):
    """``tf.nn.dropout(inputs, rate)`` when ``training`` is true, else ``inputs``.

    ``rate`` is a Python float or a tensor; ``training`` a Python bool or a
    boolean tensor (then a ``tf.cond`` chooses).
    """
    if isinstance(rate, float) and rate == 0.0:
        return tf1.identity(inputs)
    return smart_cond(
        training,
        lambda: tf1.nn.dropout(inputs, rate=rate, noise_shape=noise_shape, seed=seed),
        lambda: tf1.identity(inputs),
    )


def batch_normalization(inputs, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                        beta_initializer=tf1.zeros_initializer(),
                        gamma_initializer=tf1.ones_initializer(),
                        moving_mean_initializer=tf1.zeros_initializer(),
                        moving_variance_initializer=tf1.ones_initializer(),
                        beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                        gamma_constraint=None, training=False, trainable=True, name=None,
                        reuse=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99,
                        fused=None, virtual_batch_size=None, adjustment=None):
    """TF1's ``tf.layers.batch_normalization`` (formulas in the module docstring).

    Variables ``<name>/gamma``, ``<name>/beta`` (trainable) and
    ``<name>/moving_mean``, ``<name>/moving_variance`` (global, not
    trainable, also in ``MOVING_AVERAGE_VARIABLES``); the name defaults to
    ``batch_normalization``, ``batch_normalization_1``...
    """
    for option, value in (("renorm", renorm or None), ("virtual_batch_size", virtual_batch_size),
                          ("adjustment", adjustment), ("renorm_clipping", renorm_clipping)):
        reject_inapplicable(option, value, "in tfcourse.compat's tf.layers.batch_normalization "
                            "(use keras.layers.BatchNormalization for batch renormalization)")
    del renorm_momentum
    momentum = check_range("momentum", momentum, 0.0, 1.0)
    epsilon = check_range("epsilon", epsilon, 0.0, low_open=True)
    inputs = tf1.convert_to_tensor(inputs)
    rank = inputs.shape.rank
    if rank is None:
        raise ValueError("The rank of the inputs to `batch_normalization` must be known.")
    axes = [axis] if isinstance(axis, int) else list(axis)
    axes = sorted(check_int("axis", a, -rank, rank - 1) % rank for a in axes)
    params_shape = [inputs.shape[a] for a in axes]
    if any(dim is None for dim in params_shape):
        raise ValueError(
            f"The normalized axis of the inputs to `batch_normalization` must be known. "
            f"Received: inputs with shape {inputs.shape}, axis={axis!r}"
        )
    params_shape = [int(dim) for dim in params_shape]
    reduction_axes = [a for a in range(rank) if a not in axes]
    broadcast_shape = [1] * rank
    for a, dim in zip(axes, params_shape):
        broadcast_shape[a] = dim
    needs_broadcast = axes != [rank - 1]
    dtype = inputs.dtype.base_dtype
    unbiased_update = rank == 4 and fused is not False

    def broadcast(tensor):
        return tf1.reshape(tensor, broadcast_shape) if needs_broadcast and tensor is not None else tensor

    with tf1.variable_scope(name, default_name="batch_normalization", values=[inputs], reuse=reuse):
        gamma = tf1.get_variable(
            "gamma", params_shape, dtype=dtype, initializer=gamma_initializer,
            regularizer=gamma_regularizer, constraint=gamma_constraint, trainable=trainable,
        ) if scale else None
        beta = tf1.get_variable(
            "beta", params_shape, dtype=dtype, initializer=beta_initializer,
            regularizer=beta_regularizer, constraint=beta_constraint, trainable=trainable,
        ) if center else None
        statistics = [tf1.GraphKeys.GLOBAL_VARIABLES, tf1.GraphKeys.MOVING_AVERAGE_VARIABLES]
        moving_mean = tf1.get_variable(
            "moving_mean", params_shape, dtype=dtype, initializer=moving_mean_initializer,
            trainable=False, collections=statistics,
        )
        moving_variance = tf1.get_variable(
            "moving_variance", params_shape, dtype=dtype, initializer=moving_variance_initializer,
            trainable=False, collections=statistics,
        )
        if static_training(training) is False:
            mean, variance = moving_mean, moving_variance
        else:
            batch_mean, batch_variance = tf1.nn.moments(inputs, reduction_axes)
            update_variance = batch_variance
            if unbiased_update:
                count = tf.cast(tf.size(inputs) // tf.size(batch_mean), dtype)
                update_variance = batch_variance * count / tf.maximum(count - 1.0, 1.0)
            mean, variance = smart_cond(
                training,
                lambda: (batch_mean, batch_variance),
                lambda: (tf1.identity(moving_mean), tf1.identity(moving_variance)),
            )
            decay = tf.constant(1.0 - momentum, dtype)
            for variable, value in ((moving_mean, batch_mean), (moving_variance, update_variance)):
                update = smart_cond(
                    training,
                    lambda variable=variable, value=value: tf1.assign_sub(
                        variable, (variable - value) * decay),
                    lambda variable=variable: tf1.identity(variable),
                )
                tf1.add_to_collection(tf1.GraphKeys.UPDATE_OPS, update)
        outputs = tf1.nn.batch_normalization(
            inputs, broadcast(mean), broadcast(variance), broadcast(beta), broadcast(gamma), epsilon
        )
        scope = tf1.get_variable_scope().name
    variables = {"moving_mean": moving_mean, "moving_variance": moving_variance}
    if gamma is not None:
        variables["gamma"] = gamma
    if beta is not None:
        variables["beta"] = beta
    record_layer_call("tf.layers.batch_normalization", inputs, outputs, variables, {
        "axis": axes if len(axes) > 1 else axes[0], "momentum": momentum, "epsilon": epsilon,
        "center": bool(center), "scale": bool(scale), "unbiased_variance_update": unbiased_update,
        "trainable": trainable, "scope": scope}, training)
    return outputs


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid",
           data_format="channels_last", dilation_rate=(1, 1), activation=None, use_bias=True,
           kernel_initializer=None, bias_initializer=tf1.zeros_initializer(),
           kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
           kernel_constraint=None, bias_constraint=None, trainable=True, name=None, reuse=None):
    """TF1's ``tf.layers.conv2d``: a 2-D convolution, kernel (kh, kw, in, filters)."""
    filters = check_int("filters", filters, 1)
    kernel_size = pair("kernel_size", kernel_size)
    strides = pair("strides", strides)
    dilation_rate = pair("dilation_rate", dilation_rate)
    padding = check_choice("padding", str(padding).lower(), PADDINGS)
    data_format = check_choice("data_format", data_format, DATA_FORMATS)
    inputs = tf1.convert_to_tensor(inputs)
    channel_axis = -1 if data_format == "channels_last" else 1
    in_channels = inputs.shape[channel_axis]
    if in_channels is None:
        raise ValueError(
            f"The channel dimension of the inputs to `conv2d` must be known. Received: inputs "
            f"with shape {inputs.shape}"
        )
    tf_format = "NHWC" if data_format == "channels_last" else "NCHW"
    dtype = inputs.dtype.base_dtype
    with tf1.variable_scope(name, default_name="conv2d", values=[inputs], reuse=reuse):
        kernel = tf1.get_variable(
            "kernel", [*kernel_size, int(in_channels), filters], dtype=dtype,
            initializer=kernel_initializer or tf1.glorot_uniform_initializer(),
            regularizer=kernel_regularizer, constraint=kernel_constraint, trainable=trainable,
        )
        outputs = convolve(inputs, kernel, strides, padding, tf_format, dilation_rate)
        if use_bias:
            bias = tf1.get_variable(
                "bias", [filters], dtype=dtype, initializer=bias_initializer,
                regularizer=bias_regularizer, constraint=bias_constraint, trainable=trainable,
            )
            outputs = tf1.nn.bias_add(outputs, bias, data_format=tf_format)
        if activation is not None:
            outputs = activation(outputs)
        _add_activity_regularizer(activity_regularizer, outputs)
        scope = tf1.get_variable_scope().name
    variables = {"kernel": kernel, **({"bias": bias} if use_bias else {})}
    record_layer_call("tf.layers.conv2d", inputs, outputs, variables, {
        "filters": filters, "kernel_size": kernel_size, "strides": strides, "padding": padding,
        "data_format": data_format, "dilation_rate": dilation_rate,
        "activation": activation_name(activation), "use_bias": bool(use_bias),
        "kernel_regularizer": kernel_regularizer is not None, "trainable": trainable,
        "scope": scope})
    return outputs


def convolve(inputs, kernel, strides, padding, tf_format, dilation_rate=(1, 1)):
    """``tf.nn.conv2d`` with TF1 layers' arguments: (sh, sw) strides, 'valid'/'same'."""
    stride_list = [1, *strides, 1] if tf_format == "NHWC" else [1, 1, *strides]
    dilations = [1, *dilation_rate, 1] if tf_format == "NHWC" else [1, 1, *dilation_rate]
    return tf1.nn.conv2d(inputs, kernel, strides=stride_list, padding=padding.upper(),
                         data_format=tf_format, dilations=dilations)


def pool2d(kind, inputs, pool_size, strides, padding, data_format, name, default_name):
    """Max or average pooling with TF1 layers' arguments; returns (outputs, plain settings)."""
    pool_size = pair("pool_size", pool_size)
    strides = pair("strides", strides)
    padding = check_choice("padding", str(padding).lower(), PADDINGS)
    data_format = check_choice("data_format", data_format, DATA_FORMATS)
    tf_format = "NHWC" if data_format == "channels_last" else "NCHW"
    window = [1, *pool_size, 1] if tf_format == "NHWC" else [1, 1, *pool_size]
    stride_list = [1, *strides, 1] if tf_format == "NHWC" else [1, 1, *strides]
    op = tf1.nn.max_pool if kind == "max" else tf1.nn.avg_pool
    with tf1.name_scope(name, default_name, [inputs]):
        inputs = tf1.convert_to_tensor(inputs)
        outputs = op(inputs, ksize=window, strides=stride_list, padding=padding.upper(),
                     data_format=tf_format)
    return inputs, outputs, {"pool_size": pool_size, "strides": strides, "padding": padding,
                             "data_format": data_format}


def max_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                  name=None):
    """TF1's ``tf.layers.max_pooling2d``."""
    inputs, outputs, config = pool2d("max", inputs, pool_size, strides, padding, data_format, name,
                                     "max_pooling2d")
    record_layer_call("tf.layers.max_pooling2d", inputs, outputs, {}, config)
    return outputs


def average_pooling2d(inputs, pool_size, strides, padding="valid", data_format="channels_last",
                      name=None):
    """TF1's ``tf.layers.average_pooling2d``."""
    inputs, outputs, config = pool2d("average", inputs, pool_size, strides, padding, data_format,
                                     name, "average_pooling2d")
    record_layer_call("tf.layers.average_pooling2d", inputs, outputs, {}, config)
    return outputs


def flatten(inputs, name=None, data_format="channels_last"):
    """TF1's ``tf.layers.flatten``: (N, ...) -> (N, prod(...)), channels-last order."""
    data_format = check_choice("data_format", data_format, DATA_FORMATS)
    with tf1.name_scope(name, "flatten", [inputs]):
        inputs = tf1.convert_to_tensor(inputs)
        outputs = flatten_tensor(inputs, data_format)
    record_layer_call("tf.layers.flatten", inputs, outputs, {}, {"data_format": data_format})
    return outputs


def flatten_tensor(inputs, data_format="channels_last"):
    """(N, ...) -> (N, prod(...)); channels-first inputs are moved to channels-last first."""
    rank = inputs.shape.rank
    if data_format == "channels_first" and rank is not None and rank > 2:
        inputs = tf1.transpose(inputs, [0, *range(2, rank), 1])
    tail = inputs.shape[1:]
    if tail.is_fully_defined():
        return tf1.reshape(inputs, [-1, int(np.prod(tail.as_list(), dtype=np.int64))])
    return tf1.reshape(inputs, tf.stack([tf.shape(inputs)[0], -1]))


PROVIDED = ("dense", "dropout", "batch_normalization", "conv2d", "max_pooling2d",
            "average_pooling2d", "flatten")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise layers_error(name)
