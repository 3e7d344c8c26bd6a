"""Batch Normalization as written in the course (seed 000, Unit 04).

The seed reproduces Ioffe & Szegedy (2015), Algorithm 1 (training) and
Algorithm 2 (inference with population statistics). This module writes both
out with ``keras.ops``; it does not subclass ``keras.layers.BatchNormalization``.
Reference for the framework differences: conventions.md section 5.
"""

from __future__ import annotations

import keras
from keras import ops

from tfcourse._validation import (
    check_allowed_with,
    check_bool,
    check_choice,
    check_int,
    check_non_negative,
    check_unit_interval,
)

__all__ = ["BatchNormalization", "PopulationStatistics", "calibrate_population_statistics"]

INFERENCE_MODES = ("moving", "population")


@keras.saving.register_keras_serializable(package="tfcourse")
class BatchNormalization(keras.layers.Layer):
    """Batch Normalization, Algorithms 1 and 2 of Ioffe & Szegedy (seed 000).

    Training (Algorithm 1), over a mini-batch B of m values per feature
    (m = batch size after Dense; batch * height * width per channel after Conv)::

        mu_B      = 1/m * sum_i x_i                        # mini-batch mean
        sigma2_B  = 1/m * sum_i (x_i - mu_B)**2            # mini-batch variance (biased)
        x_hat_i   = (x_i - mu_B) / sqrt(sigma2_B + epsilon)
        y_i       = gamma * x_hat_i + beta

    and, as in Keras, the moving averages are updated (Keras semantics:
    ``momentum`` is the share of the old value kept)::

        moving_mean     = momentum * moving_mean     + (1 - momentum) * mu_B
        moving_variance = momentum * moving_variance + (1 - momentum) * sigma2_B

    Inference (Algorithm 2, line 11) is the frozen affine map::

        y = gamma / sqrt(Var[x] + epsilon) * x + (beta - gamma * E[x] / sqrt(Var[x] + epsilon))

    with ``(E[x], Var[x])`` = ``(moving_mean, moving_variance)`` when
    ``inference="moving"`` (what Keras does), or the paper's population
    statistics when ``inference="population"``: over the training mini-batches,

        E[x]   = E_B[mu_B]
        Var[x] = m / (m - 1) * E_B[sigma2_B]                # unbiased

    The population statistics are computed after training by
    ``calibrate_population_statistics(model, dataset)`` or the
    ``PopulationStatistics`` callback; they are weights, so they are saved.

    As in Keras, a direct call without ``training`` runs in inference mode,
    and ``trainable = False`` forces inference mode.

    Mixed precision (``mixed_float16`` / ``mixed_bfloat16``): as Keras' layer,
    the moments, the normalization and the moving-average update run in
    float32, and gamma, beta and the four statistics stay float32 variables
    that are never autocast to float16 (a float16 moving mean at 2.9 cannot
    take a step of 0.01 * 0.1: it stalled short of the true mean); only the
    output is cast back to the compute dtype.

    ``synchronized=True`` (TensorFlow backend, as in Keras): under a
    ``tf.distribute`` strategy, mu_B and sigma2_B are the moments of the
    global batch, all replicas' examples together (an all-reduce of the
    per-replica sums), so every replica normalizes and updates the moving
    averages with the same statistics.

    Args:
        axis: the feature axis: -1 after Dense and for channels-last Conv, 1 for
            channels-first. Defaults to ``-1``.
        momentum: share of the old moving value kept at each update, in [0, 1).
            Defaults to ``0.99`` (Keras; torch's 0.1 is ``1 - momentum``).
        epsilon: added to the variance, >= 0. Defaults to ``1e-3`` (Keras and
            TF1 ``tf.layers``; the paper and torch use 1e-5).
        center: learn the shift ``beta``. Defaults to ``True``.
        scale: learn the scale ``gamma``. Defaults to ``True``.
        inference: ``"moving"`` (default, Keras) or ``"population"`` (paper).
        synchronized: moments over all replicas of a distribution strategy
            (TensorFlow backend only, as ``keras.layers.BatchNormalization``).
            Defaults to ``False``.
        beta_initializer, gamma_initializer: initializers of beta (zeros) and gamma (ones).

    Example:

    >>> model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(256),
    ...                           BatchNormalization(), keras.layers.ReLU()])

    References: Ioffe & Szegedy, 2015 (arXiv:1502.03167), Algorithms 1 and 2; seed 000.
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        inference="moving",
        beta_initializer="zeros",
        gamma_initializer="ones",
        synchronized=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.synchronized = check_bool("synchronized", synchronized)
        if self.synchronized:
            check_allowed_with("synchronized", True, "backend", keras.backend.backend(),
                               [True] if keras.backend.backend() == "tensorflow" else [False])
        self.axis = check_int("axis", axis)
        self.momentum = check_unit_interval("momentum", momentum)
        self.epsilon = check_non_negative("epsilon", epsilon)
        self.center = check_bool("center", center)
        self.scale = check_bool("scale", scale)
        self.inference = check_choice("inference", inference, INFERENCE_MODES)
        self.beta_initializer = keras.initializers.get(beta_initializer)
        self.gamma_initializer = keras.initializers.get(gamma_initializer)
        self.supports_masking = True
        # Set by calibrate_population_statistics while it collects batch moments.
        self._collector = None

    def build(self, input_shape):
        rank = len(input_shape)
        check_int("axis", self.axis, -rank, rank - 1)
        self._axis = self.axis % rank
        features = check_int(f"input_shape[{self.axis}]", input_shape[self._axis], low=1)
        self._reduction_axes = [i for i in range(rank) if i != self._axis]
        self._broadcast_shape = [1] * rank
        self._broadcast_shape[self._axis] = features
        shape = (features,)
        # autocast=False: read in call as the float32 variables they are, not
        # rounded to a mixed policy's float16 (as Keras' layer does).
        self.gamma = (self.add_weight(shape=shape, name="gamma",
                                      initializer=self.gamma_initializer, autocast=False)
                      if self.scale else None)
        self.beta = (self.add_weight(shape=shape, name="beta",
                                     initializer=self.beta_initializer, autocast=False)
                     if self.center else None)
        statistics = {"trainable": False, "autocast": False}
        self.moving_mean = self.add_weight(
            shape=shape, name="moving_mean", initializer="zeros", **statistics)
        self.moving_variance = self.add_weight(
            shape=shape, name="moving_variance", initializer="ones", **statistics)
        self.population_mean = self.add_weight(
            shape=shape, name="population_mean", initializer="zeros", **statistics)
        self.population_variance = self.add_weight(
            shape=shape, name="population_variance", initializer="ones", **statistics)
        # How many mini-batches the population statistics average (0: not calibrated).
        self.population_batches = self.add_weight(
            shape=(), name="population_batches", initializer="zeros", **statistics)

    def _reshape(self, vector):
        if self._axis == len(self._broadcast_shape) - 1:
            return vector
        return ops.reshape(vector, self._broadcast_shape)

    def _affine(self, x, mean, variance):
        """gamma * (x - mean) / sqrt(variance + epsilon) + beta, broadcast on the axis."""
        inv = ops.rsqrt(self._reshape(variance) + self.epsilon)
        if self.gamma is not None:
            inv = inv * self._reshape(ops.cast(self.gamma, x.dtype))
        y = (x - self._reshape(mean)) * inv
        if self.beta is not None:
            y = y + self._reshape(ops.cast(self.beta, x.dtype))
        return y

    def call(self, inputs, training=None, mask=None):
        x = inputs
        dtype = keras.backend.standardize_dtype(x.dtype)
        # Moments in float32 at least (as Keras does for float16 inputs).
        compute_x = ops.cast(x, "float32") if dtype in ("float16", "bfloat16") else x
        if self._collector is not None:
            mean, variance = ops.moments(compute_x, axes=self._reduction_axes)
            self._collector.add(self, mean, variance, compute_x)
            return ops.cast(self._affine(compute_x, mean, variance), dtype)
        if training and self.trainable:
            mean, variance = ops.moments(compute_x, axes=self._reduction_axes,
                                         synchronized=self.synchronized)
            # Keras' expression, in the statistics' own dtype (float32 under a
            # mixed policy), with Python-float momentum and 1 - momentum.
            for statistic, batch_value in ((self.moving_mean, mean),
                                           (self.moving_variance, variance)):
                batch_value = ops.cast(batch_value, statistic.dtype)
                statistic.assign(statistic * self.momentum
                                 + batch_value * (1.0 - self.momentum))
            return ops.cast(self._affine(compute_x, mean, variance), dtype)
        if self.inference == "population":
            mean, variance = self.population_mean, self.population_variance
        else:
            mean, variance = self.moving_mean, self.moving_variance
        mean = ops.cast(mean, compute_x.dtype)
        variance = ops.cast(variance, compute_x.dtype)
        return ops.cast(self._affine(compute_x, mean, variance), dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    @property
    def calibrated(self) -> bool:
        """True once population statistics have been computed for this layer."""
        return float(ops.convert_to_numpy(self.population_batches)) > 0

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "inference": self.inference,
            "synchronized": self.synchronized,
            "beta_initializer": keras.initializers.serialize(self.beta_initializer),
            "gamma_initializer": keras.initializers.serialize(self.gamma_initializer),
        }


class _MomentCollector:
    """Sums of per-batch mean and unbiased variance for each BN layer (Algorithm 2, line 10)."""

    def __init__(self):
        self.sums = {}

    def add(self, layer, mean, variance, x):
        m = 1
        for axis in layer._reduction_axes:
            m *= int(x.shape[axis])
        if m < 2:  # m/(m-1) is undefined for a batch with one value per feature
            return
        unbiased = variance * (m / (m - 1.0))
        mean_sum, var_sum, count = self.sums.get(id(layer), (0.0, 0.0, 0))
        self.sums[id(layer)] = (mean_sum + mean, var_sum + unbiased, count + 1)


def _batch_norm_layers(model):
    found, seen = [], set()

    def visit(layer):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        if isinstance(layer, BatchNormalization):
            found.append(layer)
        for sub in getattr(layer, "layers", []) or []:
            visit(sub)

    visit(model)
    return found


def _batches(dataset, batch_size):
    if hasattr(dataset, "shape") and hasattr(dataset, "dtype"):  # one array of inputs
        size = int(dataset.shape[0])
        for start in range(0, size, batch_size):
            yield dataset[start:start + batch_size]
        return
    for item in dataset:
        yield item[0] if isinstance(item, (tuple, list)) else item


def calibrate_population_statistics(model, dataset, steps=None, batch_size=32,
                                    set_inference=True):
    """Compute the paper's population statistics for every BN layer of ``model``.

    Algorithm 2, line 10 (seed 000): process training mini-batches B, each of
    size m, through the trained network and average::

        E[x]   = E_B[mu_B]
        Var[x] = m / (m - 1) * E_B[sigma2_B]

    Each BN layer normalizes every calibration batch with that batch's own
    statistics (the training transform of Algorithm 1), so deeper layers see
    what they saw in training; dropout and other layers run in inference mode,
    and the moving averages are left untouched. ``m`` counts the values per
    feature (batch size after Dense; batch * H * W per channel after Conv).
    With batches of unequal size each batch's variance is unbiased with its
    own m; batches with m = 1 are skipped (their m/(m-1) is undefined).

    Args:
        model: a Keras model (or layer) containing ``tfcourse.layers.BatchNormalization``.
        dataset: training mini-batches: an iterable of ``x`` or ``(x, y, ...)``
            batches (a ``tf.data.Dataset``, a list), or one array of inputs,
            which is cut into batches of ``batch_size``.
        steps: use at most this many batches. Defaults to all.
        batch_size: batch size when ``dataset`` is an array. Defaults to 32.
        set_inference: switch the layers to ``inference="population"``. Defaults to True.

    Returns:
        A dict mapping each BN layer's name to the number of batches averaged.
    """
    if steps is not None:
        steps = check_int("steps", steps, low=1)
    batch_size = check_int("batch_size", batch_size, low=2)
    layers = _batch_norm_layers(model)
    check_int("number of tfcourse BatchNormalization layers in `model`", len(layers), low=1)
    collector = _MomentCollector()
    for layer in layers:
        layer._collector = collector
    try:
        for index, x in enumerate(_batches(dataset, batch_size)):
            if steps is not None and index >= steps:
                break
            model(x, training=False)
    finally:
        for layer in layers:
            layer._collector = None
    counts = {}
    for layer in layers:
        mean_sum, var_sum, count = collector.sums.get(id(layer), (0.0, 0.0, 0))
        check_int(f"number of calibration batches with m >= 2 for layer {layer.name!r}",
                  count, low=1)
        layer.population_mean.assign(ops.cast(mean_sum / count, layer.population_mean.dtype))
        layer.population_variance.assign(
            ops.cast(var_sum / count, layer.population_variance.dtype))
        layer.population_batches.assign(float(count))
        if set_inference:
            layer.inference = "population"
        counts[layer.name] = count
    # Compiled predict/evaluate functions captured the old inference branch.
    for attribute in ("predict_function", "test_function"):
        if hasattr(model, attribute):
            setattr(model, attribute, None)
    return counts


class PopulationStatistics(keras.callbacks.Callback):
    """Run ``calibrate_population_statistics`` when ``fit`` ends (Algorithm 2).

    Args:
        dataset: the training mini-batches (see ``calibrate_population_statistics``).
        steps: at most this many batches. Defaults to all.
        batch_size: batch size when ``dataset`` is an array. Defaults to 32.

    Example:

    >>> model.fit(x, y, batch_size=64, callbacks=[PopulationStatistics(x, batch_size=64)])
    """

    def __init__(self, dataset, steps=None, batch_size=32):
        super().__init__()
        self.dataset = dataset
        self.steps = None if steps is None else check_int("steps", steps, low=1)
        self.batch_size = check_int("batch_size", batch_size, low=2)
        self.counts = None

    def on_train_end(self, logs=None):
        self.counts = calibrate_population_statistics(
            self.model, self.dataset, steps=self.steps, batch_size=self.batch_size)
