"""The course's loss functions and softmax, usable in ``model.compile`` (seed 004).

Seed 004 (AI School week 2, "Loss Function", "Softmax") writes, for one
example with outputs y_k and one-hot targets t_k::

    mean squared error      E = 1/2 sum_k (y_k - t_k)^2          mean_squared_error
    softmax                 y_k = exp(a_k) / sum_i exp(a_i)       softmax
    cross-entropy error     E = -sum_k t_k log y_k                cross_entropy_error
    both together           E = -sum_k t_k log softmax(a)_k       softmax_cross_entropy

and works them on a cat/dog example: outputs y = [0.1, 0.9] (cat 0.1, dog
0.9) for a cat, t = [1, 0], give E = 1/2 ((0.1 - 1)^2 + (0.9 - 0)^2) = 0.81
and E = -log 0.1 = 2.302585; logits a = [1.5, 3.7] give
softmax(a) = [0.0998, 0.9002] ("0.1 / 0.9" on the slide).

Each loss takes ``(y_true, y_pred)`` in Keras' order and returns one value
per example (Keras then averages over the batch, as the course's
``tf.reduce_mean`` does), so ``model.compile(loss=losses.cross_entropy_error)``
works. Only ``keras.ops`` is used: the functions accept NumPy arrays and
tensors alike.

Relation to Keras (tested):

* ``mean_squared_error`` = K / 2 * ``keras.losses.mean_squared_error`` for K
  outputs (Keras averages over the K outputs and drops the 1/2);
* ``cross_entropy_error`` = ``keras.losses.categorical_crossentropy`` when
  each row of ``y_pred`` sums to 1 (Keras renormalizes the row first; both
  clip y at ``epsilon`` so that log 0 is never taken);
* ``softmax_cross_entropy`` = ``categorical_crossentropy(from_logits=True)``
  = TF1's ``tf.nn.softmax_cross_entropy_with_logits``, the course's
  ``cost`` line.

The frameworks' variants (reductions, clipping, label gradients) are in
docs/conventions.md section 8.
"""

from __future__ import annotations

import keras
from keras import ops

from tfcourse._validation import check_range

__all__ = [
    "cross_entropy_error",
    "mean_squared_error",
    "softmax",
    "softmax_cross_entropy",
    "softmax_naive",
]

EPSILON = 1e-7
"""Where ``cross_entropy_error`` clips y (Keras' ``backend.epsilon()``)."""


def _float_pair(y_true, y_pred):
    y_pred = ops.convert_to_tensor(y_pred)
    if not keras.backend.standardize_dtype(y_pred.dtype).startswith(("float", "bfloat")):
        y_pred = ops.cast(y_pred, keras.config.floatx())
    return ops.cast(y_true, y_pred.dtype), y_pred


@keras.saving.register_keras_serializable(package="tfcourse")
def mean_squared_error(y_true, y_pred):
    """E = 1/2 sum_k (y_k - t_k)^2 per example (seed 004).

    >>> round(float(mean_squared_error([1.0, 0.0], [0.1, 0.9])), 6)   # the seed's cat/dog example
    0.81
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    return 0.5 * ops.sum(ops.square(y_pred - y_true), axis=-1)


def softmax_naive(a, axis: int = -1):
    """y_k = exp(a_k) / sum_i exp(a_i), exactly as the slide writes it.

    Overflows once a logit passes ~88 in float32 (exp(89) = inf, inf/inf =
    NaN): kept to show why :func:`softmax` subtracts the maximum.
    """
    a = ops.convert_to_tensor(a)
    e = ops.exp(a)
    return e / ops.sum(e, axis=axis, keepdims=True)


def softmax(a, axis: int = -1):
    """y_k = exp(a_k) / sum_i exp(a_i), in its overflow-safe form (seed 004).

    Adding a constant C to every a_i leaves y unchanged
    (exp(a_k + C) / sum exp(a_i + C) = exp(a_k) / sum exp(a_i)); with
    C = -max_i a_i the largest exponent is exp(0) = 1, so nothing overflows::

        y_k = exp(a_k - max a) / sum_i exp(a_i - max a)

    >>> [round(float(v), 4) for v in softmax([1.5, 3.7])]   # cat 1.5, dog 3.7
    [0.0998, 0.9002]
    """
    a = ops.convert_to_tensor(a)
    shifted = a - ops.stop_gradient(ops.max(a, axis=axis, keepdims=True))
    e = ops.exp(shifted)
    return e / ops.sum(e, axis=axis, keepdims=True)


@keras.saving.register_keras_serializable(package="tfcourse")
def cross_entropy_error(y_true, y_pred, epsilon: float = EPSILON):
    """E = -sum_k t_k log y_k per example, y clipped to [epsilon, 1] (seed 004).

    ``y_pred`` are probabilities (a softmax output). Only the output of the
    correct class counts when t is one-hot ("정답일 때의 출력이 전체 값을
    결정"). Without the clip a confident wrong answer (y = 0) gives log 0.

    >>> round(float(cross_entropy_error([1.0, 0.0], [0.1, 0.9])), 6)   # -log 0.1
    2.302585
    """
    epsilon = check_range("epsilon", epsilon, 0.0, 1.0, low_open=True, high_open=True)
    y_true, y_pred = _float_pair(y_true, y_pred)
    return -ops.sum(y_true * ops.log(ops.clip(y_pred, epsilon, 1.0)), axis=-1)


@keras.saving.register_keras_serializable(package="tfcourse")
def softmax_cross_entropy(y_true, logits):
    """E = -sum_k t_k log softmax(a)_k per example, from the logits a.

    Computed as ``logsumexp(a) - sum_k t_k a_k`` (with the maximum subtracted
    inside the log-sum-exp), which never takes the log of a rounded-to-0
    probability: TF1's ``softmax_cross_entropy_with_logits``, the course's
    ``cost``.
    """
    y_true, logits = _float_pair(y_true, logits)
    peak = ops.stop_gradient(ops.max(logits, axis=-1, keepdims=True))
    log_sum = ops.log(ops.sum(ops.exp(logits - peak), axis=-1)) + ops.squeeze(peak, axis=-1)
    return ops.sum(y_true, axis=-1) * log_sum - ops.sum(y_true * logits, axis=-1)
