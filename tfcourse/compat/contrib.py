"""The parts of ``tf.contrib.layers`` the course uses, rebuilt on ``tf.compat.v1``.

TensorFlow 2 removed ``tf.contrib``. The course's Xavier labs (seed 001,
"Xavier initialization: 97.8%") create weights with::

    W1 = tf.get_variable("W1", shape=[784, 256],
                         initializer=tf.contrib.layers.xavier_initializer())

:func:`variance_scaling_initializer` follows TF1's contrib code (see
``docs/conventions.md`` section 4), with n chosen by ``mode``
(fan_in, fan_out or their average):

    uniform=True:   W ~ U(-limit, limit),  limit = sqrt(3 * factor / n)
    uniform=False:  W ~ truncated normal(0, stddev) cut at 2 stddev,
                    stddev = sqrt(1.3 * factor / n)

(contrib uses 1.3, not the 1/0.8796^2 = 1.2925 of tf.compat.v1 and Keras, so
its truncated normal is 0.29% wider.) ``xavier_initializer(uniform=True)`` is
factor 1, FAN_AVG: limit sqrt(6 / (fan_in + fan_out)), Keras' GlorotUniform.
Fans: a (fan_in, fan_out) matrix gives its two sizes; a conv kernel
(k..., in, out) multiplies both by the receptive field; a 1-D shape (n,) uses n.

The layer functions (``fully_connected``, ``conv2d``, ``max_pool2d``,
``avg_pool2d``, ``flatten``, ``dropout``, ``batch_norm``) keep contrib's
defaults, which differ from ``tf.layers``: ``activation_fn=tf.nn.relu`` for
``fully_connected`` and ``conv2d``, ``padding='SAME'`` for ``conv2d``,
``is_training=True`` for ``dropout`` and ``batch_norm``, and for
``batch_norm`` ``decay=0.999``, ``scale=False`` (no gamma), ``epsilon=0.001``.
Variables are named ``<scope>/weights``, ``<scope>/biases`` (scopes
``fully_connected``, ``Conv``, ``BatchNorm``...) and are also model variables
(``tf.GraphKeys.MODEL_VARIABLES``). Each call records one
:class:`~tfcourse.compat.layer_calls.LayerCall` for the porter.

``batch_norm`` normalizes as Algorithm 1 of the batch normalization paper
(seed 000) and keeps moving averages for inference::

    training:   y = gamma * (x - mu_B) / sqrt(var_B + epsilon) + beta
    inference:  y = gamma * (x - moving_mean) / sqrt(moving_variance + epsilon) + beta
    updates:    moving_mean     -= (moving_mean - mu_B) * (1 - decay)
                moving_variance -= (moving_variance - var_B') * (1 - decay)

(gamma = 1 without ``scale``, beta = 0 without ``center``.) The updates go to
``updates_collections`` (``tf.GraphKeys.UPDATE_OPS``: the program must run
them) or, with ``updates_collections=None``, run with the output itself.
TF1 used its fused kernel for inputs of rank 2 and 4 (``fused=None`` or
True): there var_B' is the unbiased m/(m-1) var_B (m values per channel) and
epsilon is at least 1.001e-5; otherwise var_B' = var_B.
"""

from __future__ import annotations

import functools
import math
import numbers

import tensorflow as tf

from tfcourse._validation import (
    check_bool,
    check_choice,
    check_int,
    check_non_negative,
    check_range,
    reject_inapplicable,
)
from tfcourse.compat import layers as _layers
from tfcourse.compat.layer_calls import activation_name, record_layer_call

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
            # convert_to_tensor, not cast: cast takes a Python float through float32.
            return tf1.multiply(tf1.convert_to_tensor(scale, dtype=weights.dtype.base_dtype),
                                tf1.nn.l2_loss(weights), name=name)

    return l2


def _collections(extra, name=None):
    """Model variables, plus ``variables_collections`` (a list, or a dict by variable name)."""
    if isinstance(extra, dict):
        extra = extra.get(name)
    if isinstance(extra, str):
        extra = [extra]
    return [tf1.GraphKeys.GLOBAL_VARIABLES, tf1.GraphKeys.MODEL_VARIABLES, *(extra or [])]


def _collect_outputs(outputs_collections, outputs):
    for collection in outputs_collections or ():
        tf1.add_to_collection(collection, outputs)


def _normalizer_name(normalizer_fn):
    if normalizer_fn is None:
        return None
    known = {id(batch_norm): "tf.contrib.layers.batch_norm",
             id(_layers.batch_normalization): "tf.layers.batch_normalization"}
    return known.get(id(normalizer_fn), "custom")


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
    variables = {}
    with tf1.variable_scope(scope, default_name="fully_connected", values=[inputs], reuse=reuse) as sc:
        variables["kernel"] = tf1.get_variable(
            "weights", [int(in_dim), num_outputs], dtype=dtype,
            initializer=weights_initializer or xavier_initializer(),
            regularizer=weights_regularizer, trainable=trainable,
            collections=_collections(variables_collections, "weights"),
        )
        outputs = _layers.apply_kernel(inputs, variables["kernel"])
        if normalizer_fn is not None:
            outputs = normalizer_fn(outputs, **(normalizer_params or {}))
        elif biases_initializer is not None:
            variables["bias"] = tf1.get_variable(
                "biases", [num_outputs], dtype=dtype, initializer=biases_initializer,
                regularizer=biases_regularizer, trainable=trainable,
                collections=_collections(variables_collections, "biases"),
            )
            outputs = tf1.nn.bias_add(outputs, variables["bias"])
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        _collect_outputs(outputs_collections, outputs)
    record_layer_call("tf.contrib.layers.fully_connected", inputs, outputs, variables, {
        "units": num_outputs, "activation": activation_name(activation_fn),
        "use_bias": "bias" in variables, "normalizer_fn": _normalizer_name(normalizer_fn),
        "normalizer_params": dict(normalizer_params or {}),
        "weights_regularizer": weights_regularizer is not None, "trainable": trainable,
        "scope": sc.name})
    return outputs


linear = functools.partial(fully_connected, activation_fn=None)
linear.__doc__ = "TF1's ``tf.contrib.layers.linear``: :func:`fully_connected` with ``activation_fn=None``."

DATA_FORMATS = ("NHWC", "NCHW")


def conv2d(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None, rate=1,
           activation_fn=tf1.nn.relu, normalizer_fn=None, normalizer_params=None,
           weights_initializer=None, weights_regularizer=None,
           biases_initializer=tf1.zeros_initializer(), biases_regularizer=None, reuse=None,
           variables_collections=None, outputs_collections=None, trainable=True, scope=None):
    """TF1's ``tf.contrib.layers.conv2d``: a 2-D convolution, then normalizer or biases, then activation.

    Variables ``<scope>/weights`` (kh, kw, in, num_outputs), Xavier uniform by
    default, and ``<scope>/biases``; the scope defaults to ``Conv``, ``Conv_1``...
    ``padding`` is ``'SAME'`` by default, ``stride`` and ``rate`` (dilation) an
    int or a pair.
    """
    num_outputs = check_int("num_outputs", num_outputs, 1)
    kernel_size = _layers.pair("kernel_size", kernel_size)
    strides = _layers.pair("stride", stride)
    dilation_rate = _layers.pair("rate", rate)
    padding = check_choice("padding", str(padding).upper(), ("SAME", "VALID"))
    data_format = check_choice("data_format", data_format or "NHWC", DATA_FORMATS)
    inputs = tf1.convert_to_tensor(inputs)
    channel_axis = -1 if data_format == "NHWC" else 1
    if inputs.shape.rank != 4 or inputs.shape[channel_axis] is None:
        raise ValueError(f"`inputs` of conv2d must be 4-D with a known channel dimension "
                         f"({data_format}). Received: inputs with shape {inputs.shape}")
    dtype = inputs.dtype.base_dtype
    variables = {}
    with tf1.variable_scope(scope, default_name="Conv", values=[inputs], reuse=reuse) as sc:
        variables["kernel"] = tf1.get_variable(
            "weights", [*kernel_size, int(inputs.shape[channel_axis]), num_outputs], dtype=dtype,
            initializer=weights_initializer or xavier_initializer(),
            regularizer=weights_regularizer, trainable=trainable,
            collections=_collections(variables_collections, "weights"))
        outputs = _layers.convolve(inputs, variables["kernel"], strides, padding, data_format,
                                   dilation_rate)
        if normalizer_fn is not None:
            outputs = normalizer_fn(outputs, **(normalizer_params or {}))
        elif biases_initializer is not None:
            variables["bias"] = tf1.get_variable(
                "biases", [num_outputs], dtype=dtype, initializer=biases_initializer,
                regularizer=biases_regularizer, trainable=trainable,
                collections=_collections(variables_collections, "biases"))
            outputs = tf1.nn.bias_add(outputs, variables["bias"], data_format=data_format)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        _collect_outputs(outputs_collections, outputs)
    record_layer_call("tf.contrib.layers.conv2d", inputs, outputs, variables, {
        "filters": num_outputs, "kernel_size": kernel_size, "strides": strides,
        "padding": padding.lower(), "data_format": data_format, "dilation_rate": dilation_rate,
        "activation": activation_name(activation_fn), "use_bias": "bias" in variables,
        "normalizer_fn": _normalizer_name(normalizer_fn),
        "normalizer_params": dict(normalizer_params or {}),
        "weights_regularizer": weights_regularizer is not None, "trainable": trainable,
        "scope": sc.name})
    return outputs


convolution2d = conv2d


def _pool(kind, inputs, kernel_size, stride, padding, data_format, outputs_collections, scope,
          default_name):
    kernel_size = _layers.pair("kernel_size", kernel_size)
    stride = _layers.pair("stride", stride)
    padding = check_choice("padding", str(padding).upper(), ("SAME", "VALID"))
    data_format = check_choice("data_format", data_format, DATA_FORMATS)
    layers_format = "channels_last" if data_format == "NHWC" else "channels_first"
    inputs, outputs, config = _layers.pool2d(kind, inputs, kernel_size, stride, padding,
                                             layers_format, scope, default_name)
    _collect_outputs(outputs_collections, outputs)
    config["data_format"] = data_format
    record_layer_call(f"tf.contrib.layers.{'max' if kind == 'max' else 'avg'}_pool2d", inputs,
                      outputs, {}, config)
    return outputs


def max_pool2d(inputs, kernel_size, stride=2, padding="VALID", data_format="NHWC",
               outputs_collections=None, scope=None):
    """TF1's ``tf.contrib.layers.max_pool2d``: stride 2 and ``'VALID'`` by default."""
    return _pool("max", inputs, kernel_size, stride, padding, data_format, outputs_collections,
                 scope, "MaxPool2D")


def avg_pool2d(inputs, kernel_size, stride=2, padding="VALID", data_format="NHWC",
               outputs_collections=None, scope=None):
    """TF1's ``tf.contrib.layers.avg_pool2d``: stride 2 and ``'VALID'`` by default."""
    return _pool("average", inputs, kernel_size, stride, padding, data_format, outputs_collections,
                 scope, "AvgPool2D")


def flatten(inputs, outputs_collections=None, scope=None):
    """TF1's ``tf.contrib.layers.flatten``: (N, ...) -> (N, prod(...))."""
    with tf1.name_scope(scope, "Flatten", [inputs]):
        inputs = tf1.convert_to_tensor(inputs)
        outputs = _layers.flatten_tensor(inputs)
    _collect_outputs(outputs_collections, outputs)
    record_layer_call("tf.contrib.layers.flatten", inputs, outputs, {}, {})
    return outputs


def _check_keep_prob(keep_prob):
    if isinstance(keep_prob, numbers.Real) and not isinstance(keep_prob, bool):
        return check_range("keep_prob", keep_prob, 0.0, 1.0, low_open=True)
    return keep_prob


def dropout(inputs, keep_prob=0.5, noise_shape=None, is_training=True, outputs_collections=None,
            scope=None, seed=None):
    """TF1's ``tf.contrib.layers.dropout``: keeps a unit with ``keep_prob`` while ``is_training``.

    Kept units are scaled by 1 / keep_prob; ``is_training`` defaults to True
    (unlike ``tf.layers.dropout``) and may be a boolean placeholder;
    ``keep_prob`` may be a tensor.
    """
    keep_prob = _check_keep_prob(keep_prob)
    with tf1.variable_scope(scope, default_name="Dropout", values=[inputs]):
        inputs = tf1.convert_to_tensor(inputs)
        rate = 1.0 - keep_prob if isinstance(keep_prob, float) else 1.0 - tf.cast(
            keep_prob, inputs.dtype.base_dtype)
        outputs = _layers.switched_dropout(inputs, rate, is_training, noise_shape, seed)
    _collect_outputs(outputs_collections, outputs)
    record_layer_call("tf.contrib.layers.dropout", inputs, outputs, {},
                      {"keep_prob": keep_prob, "noise_shape": noise_shape, "seed": seed},
                      is_training)
    return outputs


# TF1's fused batch-norm kernel (ranks 2 and 4) raised a smaller epsilon to this.
FUSED_MIN_EPSILON = 1.001e-5


def batch_norm(inputs, decay=0.999, center=True, scale=False, epsilon=0.001, activation_fn=None,
               param_initializers=None, param_regularizers=None,
               updates_collections=tf1.GraphKeys.UPDATE_OPS, is_training=True, reuse=None,
               variables_collections=None, outputs_collections=None, trainable=True,
               batch_weights=None, fused=None, data_format="NHWC", zero_debias_moving_mean=False,
               scope=None, renorm=False, renorm_clipping=None, renorm_decay=0.99, adjustment=None):
    """TF1's ``tf.contrib.layers.batch_norm`` (formulas and defaults in the module docstring).

    Variables ``<scope>/beta`` (``center``), ``<scope>/gamma`` (``scale``) and
    the non-trainable ``<scope>/moving_mean``, ``<scope>/moving_variance``; the
    scope defaults to ``BatchNorm``, ``BatchNorm_1``... (inside a
    ``fully_connected``: ``fully_connected/BatchNorm``).

    Args:
        is_training: a Python bool or a boolean tensor (a placeholder fed
            True while training); False uses the moving averages.
        decay: the moving averages' decay, in [0, 1]. Defaults to 0.999.
        updates_collections: where the two update ops go; ``None`` runs them
            with the output.
        fused: None/True: TF1's fused kernel for rank-2 and rank-4 inputs.
        param_initializers: dict of initializers for ``beta``, ``gamma``,
            ``moving_mean``, ``moving_variance``; param_regularizers: for
            ``beta``, ``gamma``.
    """
    context = "in tfcourse.compat's tf.contrib.layers.batch_norm (use keras.layers.BatchNormalization)"
    reject_inapplicable("batch_weights", batch_weights, context)
    reject_inapplicable("renorm", renorm or None, context)
    reject_inapplicable("renorm_clipping", renorm_clipping, context)
    reject_inapplicable("adjustment", adjustment, context)
    reject_inapplicable("zero_debias_moving_mean", zero_debias_moving_mean or None, context)
    del renorm_decay
    decay = check_range("decay", decay, 0.0, 1.0)
    epsilon = check_range("epsilon", epsilon, 0.0, low_open=True)
    data_format = check_choice("data_format", data_format, DATA_FORMATS)
    center, scale = check_bool("center", center), check_bool("scale", scale)
    if isinstance(updates_collections, str):
        updates_collections = [updates_collections]
    inputs = tf1.convert_to_tensor(inputs)
    rank = inputs.shape.rank
    if rank is None or rank < 2:
        raise ValueError(f"`inputs` of batch_norm must have a known rank >= 2. Received: inputs "
                         f"with shape {inputs.shape}")
    channel_axis = 1 if data_format == "NCHW" else rank - 1
    channels = inputs.shape[channel_axis]
    if channels is None:
        raise ValueError(f"The channel dimension of the inputs to batch_norm must be known. "
                         f"Received: inputs with shape {inputs.shape}")
    fused = (fused is None or bool(fused)) and rank in (2, 4)
    if fused:
        epsilon = max(epsilon, FUSED_MIN_EPSILON)
    params_shape = [int(channels)]
    reduction_axes = [a for a in range(rank) if a != channel_axis]
    broadcast_shape = [1] * rank
    broadcast_shape[channel_axis] = int(channels)
    initializers = dict(param_initializers or {})
    regularizers = dict(param_regularizers or {})
    dtype = inputs.dtype.base_dtype

    def broadcast(tensor):
        if tensor is None or channel_axis == rank - 1:
            return tensor
        return tf.reshape(tensor, broadcast_shape)

    def variable(name, default_initializer, trainable_variable):
        return tf1.get_variable(
            name, params_shape, dtype=dtype, initializer=initializers.get(name, default_initializer),
            regularizer=regularizers.get(name), trainable=trainable_variable,
            collections=_collections(variables_collections, name))

    with tf1.variable_scope(scope, default_name="BatchNorm", values=[inputs], reuse=reuse) as sc:
        beta = variable("beta", tf1.zeros_initializer(), trainable) if center else None
        gamma = variable("gamma", tf1.ones_initializer(), trainable) if scale else None
        moving_mean = variable("moving_mean", tf1.zeros_initializer(), False)
        moving_variance = variable("moving_variance", tf1.ones_initializer(), False)
        moving = lambda: (tf1.identity(moving_mean), tf1.identity(moving_variance))  # noqa: E731
        if _layers.static_training(is_training) is False:
            mean, variance = moving_mean, moving_variance
        else:
            batch_mean, batch_variance = tf1.nn.moments(inputs, reduction_axes)
            update_variance = batch_variance
            if fused:
                count = tf.cast(tf.size(inputs) // tf.size(batch_mean), dtype)
                update_variance = batch_variance * count / tf.maximum(count - 1.0, 1.0)

            def update():
                one_minus_decay = tf.constant(1.0 - decay, dtype)
                return (tf1.assign_sub(moving_mean, (moving_mean - batch_mean) * one_minus_decay),
                        tf1.assign_sub(moving_variance,
                                       (moving_variance - update_variance) * one_minus_decay))

            if updates_collections is None:
                def update_then_batch_moments():
                    with tf.control_dependencies(update()):
                        return tf1.identity(batch_mean), tf1.identity(batch_variance)

                mean, variance = _layers.smart_cond(is_training, update_then_batch_moments, moving)
            else:
                update_mean, update_var = _layers.smart_cond(is_training, update, moving)
                for collection in updates_collections:
                    tf1.add_to_collection(collection, update_mean)
                    tf1.add_to_collection(collection, update_var)
                mean, variance = _layers.smart_cond(
                    is_training, lambda: (batch_mean, batch_variance), moving)
        outputs = tf1.nn.batch_normalization(inputs, broadcast(mean), broadcast(variance),
                                             broadcast(beta), broadcast(gamma), epsilon)
        outputs.set_shape(inputs.shape)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        _collect_outputs(outputs_collections, outputs)
    variables = {"moving_mean": moving_mean, "moving_variance": moving_variance}
    if beta is not None:
        variables["beta"] = beta
    if gamma is not None:
        variables["gamma"] = gamma
    record_layer_call("tf.contrib.layers.batch_norm", inputs, outputs, variables, {
        "axis": channel_axis, "decay": decay, "epsilon": epsilon, "center": center,
        "scale": scale, "updates_collections": None if updates_collections is None else list(
            updates_collections), "fused": fused, "unbiased_variance_update": fused,
        "data_format": data_format, "activation": activation_name(activation_fn),
        "trainable": trainable, "scope": sc.name}, is_training)
    return outputs
