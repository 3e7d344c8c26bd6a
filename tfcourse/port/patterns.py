"""What ``tfcourse port`` recognizes: each TF1 spelling, in TF1, and what it becomes in Keras.

Read top to bottom, this file is the table of what ports. Each entry is a
small function written the way a TF1 program writes the computation; it is
traced once and matched against the program's graph
(:mod:`tfcourse.port.matcher`). The decorator names what the match becomes:

* :data:`LAYERS`: the forward computation, from the fed inputs to the
  model's output, onto Keras layers (``Dense``, ``Conv2D``, ``Dropout``...);
  the first entry that matches wins, so longer spellings come first;
* :data:`INITIALIZERS`: a variable's initial value onto a Keras (or
  tfcourse) initializer drawing the same distribution;
* :data:`LOSSES`: what ``minimize`` was given onto a Keras loss;
* :data:`METRICS`: the accuracy ops a program fetches onto Keras metrics;
* :data:`REGULARIZERS`: terms added to the loss onto weight regularizers.

Arguments named in ``variables`` must be reads of a ``tf.Variable``; the
``weights`` of a layer entry say which Keras weight each variable becomes.
Arguments in ``constants`` bind to whatever constant the program used there
(a dropout rate, a decay step); arguments in ``flags`` are the placeholders a
program feeds to switch between training and inference (``keep_prob``,
``is_training``). What no entry matches is not lost: it becomes a generated
custom layer holding the exact ops (:mod:`tfcourse.port.lowering`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import tfcourse.compat.v1 as tf

from tfcourse.port.matcher import Pattern

__all__ = ["INITIALIZERS", "LAYERS", "LOSSES", "METRICS", "REGULARIZERS", "SCHEDULES", "UPDATES",
           "LayerEntry"]


@dataclasses.dataclass(frozen=True)
class LayerEntry:
    """What a layer pattern becomes.

    Attributes:
        keras: the Keras layer, as emitted (``"Dense"``, ``"Conv2D"``,
            ``"Activation"``...; :mod:`tfcourse.port.lowering` builds its arguments).
        weights: pattern argument -> Keras weight name (``{"W": "kernel"}``).
        inputs: the pattern arguments that are the layer's inputs, in call order.
        flags: pattern argument -> its role (``"keep_prob"``, ``"rate"``, ``"training"``).
        options: fixed arguments of the Keras layer (``activation="relu"``, ``bias="add"``).
    """

    keras: str
    weights: dict
    inputs: tuple
    flags: dict
    options: dict


LAYERS: list[Pattern] = []
INITIALIZERS: list[Pattern] = []
LOSSES: list[Pattern] = []
METRICS: list[Pattern] = []
REGULARIZERS: list[Pattern] = []


def _register(table, function, **fields):
    table.append(Pattern(name=function.__name__, function=function, **fields))
    return function


def layer(keras: str, *, inputs=("x",), weights=None, flags=None, constants=(), free_attrs=(),
          ranks=(), dtypes=(), sentinels=(), free_scalars=False, **options):
    """Register a layer pattern: the decorated TF1 function becomes ``keras.layers.<keras>``."""
    weights = dict(weights or {})
    flags = dict(flags or {})

    def decorate(function):
        code = function.__code__
        names = list(code.co_varnames[:code.co_argcount - len(function.__defaults__ or ())])
        tensors = tuple(name for name in names if name not in constants)
        return _register(
            LAYERS, function, tensors=tensors, variables=tuple(weights), constants=tuple(constants),
            free_attrs=frozenset(free_attrs), ranks=tuple(ranks), dtypes=tuple(dtypes),
            sentinels=tuple(sentinels), free_scalars=free_scalars,
            data=LayerEntry(keras, weights, tuple(inputs), flags, dict(options)),
        )

    return decorate


def entry(table, *, variables=(), constants=(), free_attrs=(), ranks=(), dtypes=(), sentinels=(),
          free_scalars=False, **data: Any):
    """Register an initializer, loss, metric or regularizer pattern with its ``data``."""

    def decorate(function):
        names = list(function.__code__.co_varnames[:function.__code__.co_argcount])
        return _register(
            table, function, tensors=tuple(name for name in names if name not in constants),
            variables=tuple(variables), constants=tuple(constants),
            free_attrs=frozenset(free_attrs), ranks=tuple(ranks), dtypes=tuple(dtypes),
            sentinels=tuple(sentinels), free_scalars=free_scalars, data=data,
        )

    return decorate


# -- layers: fully connected -------------------------------------------------------------

@layer("Dense", weights={"W": "kernel", "b": "bias"}, ranks=(2, 2, 1), bias="add")
def matmul_plus_bias(x, W, b):
    """The course's ``tf.matmul(X, W1) + b1``: Dense adding b as TF1's ``+`` did (AddV2)."""
    return tf.matmul(x, W) + b


@layer("Dense", weights={"W": "kernel", "b": "bias"}, ranks=(2, 2, 1), bias="bias_add")
def matmul_bias_add(x, W, b):
    """``tf.nn.bias_add(tf.matmul(x, W), b)``: Keras' own Dense (BiasAdd)."""
    return tf.nn.bias_add(tf.matmul(x, W), b)


@layer("Dense", weights={"W": "kernel"}, ranks=(2, 2), bias=None)
def matmul(x, W):
    """``tf.matmul(x, W)`` with no bias (batch-norm layers): ``Dense(use_bias=False)``."""
    return tf.matmul(x, W)


@layer("ScalarDense", weights={"W": "kernel", "b": "bias"}, ranks=(1, 1, 1))
def scalar_times_weight_plus_bias(x, W, b):
    """``x_train * W + b`` on a list of numbers (W, b of shape [1]): ``Dense(1)`` per number."""
    return x * W + b


# -- layers: convolutions and pooling ------------------------------------------------------

_CONV_ATTRS = ("strides", "padding", "dilations", "explicit_paddings", "data_format")


@layer("Conv2D", weights={"W": "kernel", "b": "bias"}, ranks=(4, 4, 1), free_attrs=_CONV_ATTRS,
       bias="bias_add")
def conv2d_bias_add(x, W, b):
    """``tf.nn.bias_add(tf.nn.conv2d(x, W, ...), b)`` (tf.layers.conv2d): ``Conv2D``."""
    return tf.nn.bias_add(tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding="SAME"), b)


@layer("Conv2D", weights={"W": "kernel", "b": "bias"}, ranks=(4, 4, 1), free_attrs=_CONV_ATTRS,
       bias="add")
def conv2d_plus_bias(x, W, b):
    """``tf.nn.conv2d(x, W, ...) + b``: ``Conv2D`` adding b as TF1's ``+`` did (AddV2)."""
    return tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding="SAME") + b


@layer("Conv2D", weights={"W": "kernel"}, ranks=(4, 4), free_attrs=_CONV_ATTRS, bias=None)
def conv2d(x, W):
    """``tf.nn.conv2d(x, W, strides, padding)`` (the course's CNN labs): ``Conv2D(use_bias=False)``."""
    return tf.nn.conv2d(x, W, strides=[1, 1, 1, 1], padding="SAME")


@layer("MaxPooling2D", ranks=(4,), free_attrs=("ksize", "strides", "padding", "data_format"))
def max_pool(x):
    """``tf.nn.max_pool(x, ksize, strides, padding)``: ``MaxPooling2D``."""
    return tf.nn.max_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")


@layer("AveragePooling2D", ranks=(4,), free_attrs=("ksize", "strides", "padding", "data_format"))
def avg_pool(x):
    """``tf.nn.avg_pool(x, ksize, strides, padding)``: ``AveragePooling2D``."""
    return tf.nn.avg_pool(x, ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")


@layer("Reshape", constants=("shape",), sentinels=([-1, 7777],))
def reshape(x, shape):
    """``tf.reshape(x, [-1, ...])``: ``Reshape`` (``Flatten`` when it keeps only the batch axis)."""
    return tf.reshape(x, shape)


# -- layers: dropout (keep_prob fed while training, 1 when testing) -----------------------

@layer("Dropout", inputs=("x",), flags={"keep_prob": "keep_prob"}, ranks=(None, 0))
def dropout_keep_prob(x, keep_prob):
    """``tf.nn.dropout(L, keep_prob=keep_prob)`` with a fed ``keep_prob``: ``Dropout(1 - keep_prob)``."""
    return tf.nn.dropout(x, keep_prob=keep_prob)


@layer("Dropout", inputs=("x",), flags={"rate": "rate"}, ranks=(None, 0))
def dropout_rate(x, rate):
    """``tf.nn.dropout(L, rate=rate)`` with a fed ``rate``: ``Dropout(rate)``."""
    return tf.nn.dropout(x, rate=rate)


@layer("Dropout", inputs=("x",), constants=("rate",), sentinels=(0.123456789,), free_scalars=True)
def dropout_fixed(x, rate):
    """``tf.nn.dropout(L, keep_prob=0.7)`` (a number: always on): ``Dropout(0.3)``, always on."""
    return tf.nn.dropout(x, rate=rate)


# -- layers: batch normalization ---------------------------------------------------------------

@layer("BatchNormalization", inputs=("z",),
       weights={"gamma": "gamma", "beta": "beta", "pop_mean": "moving_mean",
                "pop_var": "moving_variance"},
       flags={"is_training": "training"}, constants=("epsilon",),
       sentinels=(0.000987654321,), free_scalars=True,
       ranks=(2, None, 1, 1, 1, 1), dtypes=(None, "bool"))
def batch_norm_cond(z, is_training, beta, gamma, pop_mean, pop_var, epsilon, decay=0.99):
    """The course's batch norm (seed 000, Algorithm 1, population averages updated in training).

    Becomes ``tfcourse.layers.BatchNormalization(momentum=decay, epsilon=epsilon)``; ``decay``
    is read from the two updates (:func:`moving_average_update`), which run as control
    dependencies of the training branch.
    """
    def training():
        batch_mean, batch_var = tf.nn.moments(z, [0])
        train_mean = tf.assign(pop_mean, pop_mean * decay + batch_mean * (1 - decay))
        train_var = tf.assign(pop_var, pop_var * decay + batch_var * (1 - decay))
        with tf.control_dependencies([train_mean, train_var]):
            return tf.nn.batch_normalization(z, batch_mean, batch_var, beta, gamma, epsilon)

    def testing():
        return tf.nn.batch_normalization(z, pop_mean, pop_var, beta, gamma, epsilon)

    return tf.cond(is_training, training, testing)


UPDATES: list[Pattern] = []


@entry(UPDATES, variables=("average",), constants=("decay",), sentinels=(0.123456789,),
       free_scalars=True, ranks=(1, 1))
def moving_average_update(average, value, decay):
    """The value of ``tf.assign(pop_mean, pop_mean * decay + batch_mean * (1 - decay))``."""
    return average * decay + value * (1 - decay)


# -- layers: activations (merged into the Dense/Conv2D before them when they can be) --------

@layer("Activation", activation="relu")
def relu(x):
    return tf.nn.relu(x)


@layer("Activation", activation="sigmoid")
def sigmoid(x):
    return tf.sigmoid(x)


@layer("Activation", activation="tanh")
def tanh(x):
    return tf.tanh(x)


@layer("Activation", activation="softmax", ranks=(2,))
def softmax(x):
    return tf.nn.softmax(x)


@layer("Activation", activation="elu")
def elu(x):
    return tf.nn.elu(x)


@layer("Activation", activation="selu")
def selu(x):
    return tf.nn.selu(x)


@layer("Activation", activation="relu6")
def relu6(x):
    return tf.nn.relu6(x)


@layer("Activation", activation="softplus")
def softplus(x):
    return tf.nn.softplus(x)


@layer("LeakyReLU", free_attrs=("alpha",))
def leaky_relu(x):
    """``tf.nn.leaky_relu(x, alpha)``: ``LeakyReLU(negative_slope=alpha)``."""
    return tf.nn.leaky_relu(x, alpha=0.2)


@layer("Maximum", constants=("alpha",), sentinels=(0.123456789,))
def leaky_relu_by_hand(x, alpha):
    """The course's leaky ReLU written out, ``tf.maximum(alpha * x, x)``: ``LeakyReLU(alpha)``."""
    return tf.maximum(alpha * x, x)


# -- initializers: a variable's initial value -------------------------------------------------

@entry(INITIALIZERS, constants=("shape", "mean", "stddev"), sentinels=([7, 11], 0.5, 0.25),
       keras="RandomNormal")
def random_normal(shape, mean, stddev):
    """``tf.random_normal(shape, mean, stddev)``: ``keras.initializers.RandomNormal``."""
    return tf.random_normal(shape, mean=mean, stddev=stddev)


@entry(INITIALIZERS, constants=("shape", "mean", "stddev"), sentinels=([7, 11], 0.5, 0.25),
       keras="TruncatedNormal")
def truncated_normal(shape, mean, stddev):
    """``tf.truncated_normal(shape, mean, stddev)`` (cut at 2 stddev): ``TruncatedNormal``."""
    return tf.truncated_normal(shape, mean=mean, stddev=stddev)


@entry(INITIALIZERS, constants=("shape", "minval", "maxval"), sentinels=([7, 11], -0.75, 0.25),
       keras="RandomUniform")
def random_uniform(shape, minval, maxval):
    """``tf.random_uniform(shape, minval, maxval)``, also what Xavier/Glorot initializers draw."""
    return tf.random_uniform(shape, minval=minval, maxval=maxval)


# -- learning-rate schedules: a learning_rate tensor of the global step ------------------------

SCHEDULES: list[Pattern] = []


@entry(SCHEDULES, variables=("global_step",), dtypes=("int32",), ranks=(0,),
       constants=("learning_rate", "decay_steps", "decay_rate"),
       sentinels=(0.123456789, 7777, 0.987654321), free_attrs=("SrcT", "dtype"),
       keras="ExponentialDecay", staircase=True)
def exponential_decay_staircase(global_step, learning_rate, decay_steps, decay_rate):
    """``tf.train.exponential_decay(lr, global_step, steps, rate, staircase=True)``."""
    return tf.train.exponential_decay(learning_rate, global_step, decay_steps, decay_rate,
                                      staircase=True)


@entry(SCHEDULES, variables=("global_step",), dtypes=("int32",), ranks=(0,),
       constants=("learning_rate", "decay_steps", "decay_rate"),
       sentinels=(0.123456789, 7777, 0.987654321), free_attrs=("SrcT", "dtype"),
       keras="ExponentialDecay", staircase=False)
def exponential_decay(global_step, learning_rate, decay_steps, decay_rate):
    """``tf.train.exponential_decay(lr, global_step, steps, rate)``: ``ExponentialDecay``."""
    return tf.train.exponential_decay(learning_rate, global_step, decay_steps, decay_rate)


@entry(SCHEDULES, variables=("global_step",), dtypes=("int32",), ranks=(0,),
       constants=("learning_rate", "decay_steps", "decay_rate"),
       sentinels=(0.123456789, 7777, 0.987654321), free_attrs=("SrcT", "dtype"),
       keras="InverseTimeDecay", staircase=False)
def inverse_time_decay(global_step, learning_rate, decay_steps, decay_rate):
    """``tf.train.inverse_time_decay(lr, global_step, steps, rate)``: ``InverseTimeDecay``."""
    return tf.train.inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate)


# -- losses: what minimize() was given -----------------------------------------------------------

@entry(LOSSES, keras="CategoricalCrossentropy(from_logits=True)", ranks=(2, 2), y_true="labels",
       y_pred="logits")
def softmax_cross_entropy_mean(logits, labels):
    """``tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=..., labels=Y))``."""
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=labels))


@entry(LOSSES, keras="CategoricalCrossentropy(from_logits=True)", ranks=(2, 2), y_true="labels",
       y_pred="logits")
def softmax_cross_entropy_v2_mean(logits, labels):
    """``tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(...))``: the same loss."""
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=logits, labels=labels))


@entry(LOSSES, keras="SparseCategoricalCrossentropy(from_logits=True)", dtypes=(None, "int32"),
       ranks=(2, 1), y_true="labels", y_pred="logits")
def sparse_softmax_cross_entropy_mean(logits, labels):
    """``tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(...))``."""
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(logits=logits,
                                                                         labels=labels))


@entry(LOSSES, keras="SparseCategoricalCrossentropy(from_logits=True)", dtypes=(None, "int64"),
       ranks=(2, 1), y_true="labels", y_pred="logits")
def sparse_softmax_cross_entropy_mean_int64(logits, labels):
    """The same with int64 labels."""
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(logits=logits,
                                                                         labels=labels))


@entry(LOSSES, keras="SparseCategoricalCrossentropy(from_logits=True)", ranks=(2, 2),
       dtypes=(None, "int32"), constants=("depth", "shape"), sentinels=(77, [-1, 7777]),
       y_true="labels", y_pred="logits")
def softmax_cross_entropy_of_one_hot(logits, labels, depth, shape):
    """Class ids turned into one-hot rows in the graph (``tf.one_hot`` + ``tf.reshape``), then
    ``softmax_cross_entropy_with_logits``: ``SparseCategoricalCrossentropy`` on the ids."""
    one_hot = tf.reshape(tf.one_hot(labels, depth), shape)
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=one_hot))


@entry(LOSSES, keras="SparseCategoricalCrossentropy(from_logits=True)", ranks=(2, 2),
       dtypes=(None, "int32"), constants=("depth", "shape"), sentinels=(77, [-1, 7777]),
       y_true="labels", y_pred="logits")
def softmax_cross_entropy_v2_of_one_hot(logits, labels, depth, shape):
    """The same with ``softmax_cross_entropy_with_logits_v2`` and ``tf.stop_gradient(labels)``."""
    one_hot = tf.reshape(tf.one_hot(labels, depth), shape)
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(
        logits=logits, labels=tf.stop_gradient(one_hot)))


@entry(LOSSES, keras="BinaryCrossentropy(from_logits=True)", ranks=(2, 2), y_true="labels",
       y_pred="logits")
def sigmoid_cross_entropy_mean(logits, labels):
    """``tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(logits=..., labels=Y))``."""
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(logits=logits, labels=labels))


@entry(LOSSES, keras="MeanSquaredError()", ranks=(2, 2), y_true="y", y_pred="hypothesis")
def mean_squared_error(hypothesis, y):
    """``tf.reduce_mean(tf.square(hypothesis - Y))``: ``MeanSquaredError`` (mean over every element)."""
    return tf.reduce_mean(tf.square(hypothesis - y))


@entry(LOSSES, keras="MeanSquaredError()", ranks=(1, 1), y_true="y", y_pred="hypothesis")
def mean_squared_error_of_numbers(hypothesis, y):
    """The same on lists of numbers (``hypothesis = x_train * W + b``)."""
    return tf.reduce_mean(tf.square(hypothesis - y))


# -- metrics: what a program fetches as its accuracy -----------------------------------------------

@entry(METRICS, keras="CategoricalAccuracy", ranks=(2, 2), y_true="y", y_pred="hypothesis")
def argmax_accuracy(hypothesis, y):
    """``tf.reduce_mean(tf.cast(tf.equal(tf.argmax(h, 1), tf.argmax(Y, 1)), tf.float32))``."""
    correct_prediction = tf.equal(tf.argmax(hypothesis, 1), tf.argmax(y, 1))
    return tf.reduce_mean(tf.cast(correct_prediction, tf.float32))


@entry(METRICS, keras="SparseCategoricalAccuracy", ranks=(2, 2), dtypes=(None, "int32"),
       constants=("depth", "shape"), sentinels=(77, [-1, 7777]), y_true="y", y_pred="hypothesis")
def argmax_accuracy_of_one_hot(hypothesis, y, depth, shape):
    """The same accuracy with one-hot rows made from class ids in the graph."""
    one_hot = tf.reshape(tf.one_hot(y, depth), shape)
    correct_prediction = tf.equal(tf.argmax(hypothesis, 1), tf.argmax(one_hot, 1))
    return tf.reduce_mean(tf.cast(correct_prediction, tf.float32))


@entry(METRICS, keras="SparseCategoricalAccuracy", ranks=(2, 1), dtypes=(None, "int32"),
       y_true="y", y_pred="hypothesis")
def argmax_accuracy_of_class_ids(hypothesis, y):
    """``tf.equal(tf.argmax(h, 1, output_type=tf.int32), Y)`` with class ids ``Y``."""
    correct = tf.equal(tf.argmax(hypothesis, 1, output_type=tf.int32), y)
    return tf.reduce_mean(tf.cast(correct, tf.float32))


@entry(METRICS, keras="SparseCategoricalAccuracy", ranks=(3, 2), dtypes=(None, "int32"),
       y_true="y", y_pred="hypothesis")
def argmax_accuracy_of_every_step(hypothesis, y):
    """The same over every step of (batch, steps, classes) logits: Keras' sparse accuracy
    compares on the last axis and averages over batch and steps alike."""
    correct = tf.equal(tf.argmax(hypothesis, 2, output_type=tf.int32), y)
    return tf.reduce_mean(tf.cast(correct, tf.float32))


@entry(METRICS, keras="BinaryAccuracy", ranks=(2, 2), y_true="y", y_pred="hypothesis")
def threshold_accuracy(hypothesis, y):
    """``predicted = tf.cast(h > 0.5, tf.float32)``; ``tf.reduce_mean(tf.cast(tf.equal(predicted, Y)))``."""
    predicted = tf.cast(hypothesis > 0.5, dtype=tf.float32)
    return tf.reduce_mean(tf.cast(tf.equal(predicted, y), dtype=tf.float32))


# -- regularizers: terms a program adds to its loss --------------------------------------------------

@entry(REGULARIZERS, variables=("W",), constants=("scale",), sentinels=(0.123456789,),
       keras="L2", factor=0.5)
def scaled_l2_loss(W, scale):
    """``beta * tf.nn.l2_loss(W)`` (l2_loss is sum(W**2) / 2): ``L2(beta / 2)``."""
    return scale * tf.nn.l2_loss(W)


@entry(REGULARIZERS, variables=("W",), constants=("scale",), sentinels=(0.123456789,),
       ranks=(2,), keras="L2", factor=1.0)
def scaled_sum_of_squares(W, scale):
    """``beta * tf.reduce_sum(tf.square(W))``: ``L2(beta)``."""
    return scale * tf.reduce_sum(tf.square(W))
