"""The numbers behind the activation, initialization, decay and EWA pictures.

Each function returns data (NumPy arrays in small dataclasses or dicts) and
draws nothing; ``tfcourse.viz.figures`` draws them. Every number comes from
the package's own components: activation layers from ``tfcourse.layers``,
initializers from ``tfcourse.initializers``, schedules from
``tfcourse.schedules``, the average from ``tfcourse.ewa`` (tfcourse.averages).
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from tfcourse._validation import check_int, check_positive, check_unit_interval

__all__ = [
    "COURSE_ACTIVATIONS",
    "DECAY_RULES",
    "INITIALIZATIONS",
    "LayerStatistics",
    "activation_curves",
    "decay_curves",
    "ewa_curves",
    "initialization_experiment",
    "temperature_series",
]

COURSE_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu_0.1", "elu")
"""Seed 000's elementwise activations (PReLU starts as ReLU; Maxout is not elementwise)."""


def activation_curves(
    names: Sequence[str] = COURSE_ACTIVATIONS, x: np.ndarray | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each activation and its derivative on ``x``, by automatic differentiation.

    The derivative is what backpropagation multiplies by: the sigmoid's never
    exceeds 1/4 (at 0) and is below 0.01 for |x| > 4.6, the vanishing
    gradient of seed 000.

    Args:
        names: names from ``tfcourse.layers.ACTIVATIONS``. Defaults to
            ``COURSE_ACTIVATIONS``.
        x: the inputs. Defaults to 601 points on [-6, 6].

    Returns:
        name -> ``(f(x), f'(x))`` as float64 arrays. At the kink of ReLU-like
        functions f'(0) is the right-hand value TensorFlow uses.
    """
    import tensorflow as tf

    from tfcourse.layers import activation_layer

    x = np.linspace(-6.0, 6.0, 601) if x is None else np.asarray(x, dtype=np.float64)
    result = {}
    for name in names:
        layer = activation_layer(name)
        inputs = tf.constant(x, dtype=tf.float64)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            outputs = layer(inputs)
        derivative = tape.gradient(outputs, inputs)
        result[name] = (np.asarray(outputs, np.float64), np.asarray(derivative, np.float64))
    return result


INITIALIZATIONS = ("N(0, 0.01)", "N(0, 1)", "Xavier", "He")
"""Seed 002's cases I and II, then the course's Xavier and He (seed 000)."""


@dataclasses.dataclass
class LayerStatistics:
    """Activations of each layer of one deep net on one batch.

    Attributes:
        activation: ``"tanh"`` or ``"relu"``.
        initialization: one of ``INITIALIZATIONS``.
        means, stds: per layer (layer 1 first).
        histograms: per layer, ``(counts, edges)`` of the activation values
            (for ReLU, of the positive ones).
        saturated_fraction: per layer, for tanh the fraction with |a| > 0.99,
            for ReLU the fraction of zeros.
    """

    activation: str
    initialization: str
    means: np.ndarray
    stds: np.ndarray
    histograms: list
    saturated_fraction: np.ndarray


def _initializer(name: str, seed: int):
    from tfcourse import initializers
    from tfcourse._validation import check_choice

    factories = {
        "N(0, 0.01)": lambda: initializers.RandomNormal(stddev=0.01, seed=seed),
        "N(0, 1)": lambda: initializers.RandomNormal(stddev=1.0, seed=seed),
        "Xavier": lambda: initializers.Xavier(convention="course", seed=seed),
        "He": lambda: initializers.He(convention="course", seed=seed),
    }
    return factories[check_choice("initializations", name, INITIALIZATIONS)]()


def initialization_experiment(
    activations: Sequence[str] = ("tanh", "relu"),
    initializations: Sequence[str] = INITIALIZATIONS,
    num_layers: int = 10,
    units: int = 500,
    num_examples: int = 1000,
    bins: int = 50,
    seed: int = 0,
) -> dict[tuple[str, str], LayerStatistics]:
    """Push one N(0, 1) batch through a deep net for each (activation, initialization).

    The seeds' experiment (seed 002, after CS231n): ``num_layers`` Dense
    layers of ``units`` units, no biases, weights from the initialization,
    inputs N(0, 1). With N(0, 0.01) tanh activations shrink to 0 layer by
    layer (no gradient); with N(0, 1) they saturate at +-1; Xavier keeps tanh
    alive; ReLU needs He (Xavier halves the variance at each layer).

    Args:
        activations: ``"tanh"`` and/or ``"relu"``.
        initializations: names from ``INITIALIZATIONS``.
        num_layers, units, num_examples, bins: ints >= 1. Defaults 10, 500,
            1000 and 50.
        seed: seeds the inputs and each layer's initializer.

    Returns:
        ``(activation, initialization)`` -> :class:`LayerStatistics`.
    """
    import keras

    from tfcourse._validation import check_choice

    num_layers = check_int("num_layers", num_layers, low=1)
    units = check_int("units", units, low=1)
    num_examples = check_int("num_examples", num_examples, low=1)
    bins = check_int("bins", bins, low=1)
    seed = check_int("seed", seed, low=0)
    inputs = np.random.default_rng(seed).standard_normal((num_examples, units)).astype("float32")
    results = {}
    for activation in activations:
        check_choice("activations", activation, ("tanh", "relu"))
        for initialization in initializations:
            x = inputs
            means, stds, histograms, saturated = [], [], [], []
            for index in range(num_layers):
                layer = keras.layers.Dense(
                    units, activation=activation, use_bias=False,
                    kernel_initializer=_initializer(initialization, seed + index),
                )
                x = keras.ops.convert_to_numpy(layer(x))
                means.append(float(np.mean(x)))
                stds.append(float(np.std(x)))
                if activation == "tanh":
                    histograms.append(np.histogram(x, bins=bins, range=(-1.0, 1.0)))
                    saturated.append(float(np.mean(np.abs(x) > 0.99)))
                else:
                    # The zeros (about half) would flatten the picture: count
                    # them in saturated_fraction and histogram the rest.
                    positive = x[x > 0]
                    high = float(np.max(positive)) if positive.size else 1.0
                    histograms.append(np.histogram(positive, bins=bins, range=(0.0, high)))
                    saturated.append(float(np.mean(x == 0)))
            results[(activation, initialization)] = LayerStatistics(
                activation, initialization, np.array(means), np.array(stds), histograms,
                np.array(saturated),
            )
    return results


DECAY_RULES = ("inverse_time", "exponential", "inverse_sqrt_epoch", "inverse_sqrt_step", "staircase")
"""Seed 003's five learning-rate decay rules."""


def decay_curves(
    initial_learning_rate: float = 0.2,
    epochs: int = 30,
    steps_per_epoch: int = 10,
) -> dict[str, tuple[np.ndarray, np.ndarray, object]]:
    """The learning rate of every update under each of seed 003's rules.

    Rules (epochs counted from 1, t = update count from 1; tfcourse.schedules):

    - ``inverse_time``: alpha_0 / (1 + 1.0 * epoch)
    - ``exponential``: 0.95**epoch * alpha_0
    - ``inverse_sqrt_epoch``: 1 / sqrt(epoch) * alpha_0
    - ``inverse_sqrt_step``: 1 / sqrt(t) * alpha_0 (per mini-batch)
    - ``staircase``: alpha_0 halved every 5 epochs

    Returns:
        rule -> ``(epoch axis, learning rates, schedule)``; the epoch axis is
        1 + step / steps_per_epoch, so whole numbers are epoch starts.
    """
    from tfcourse import schedules

    alpha_0 = check_positive("initial_learning_rate", initial_learning_rate)
    epochs = check_int("epochs", epochs, low=1)
    spe = check_int("steps_per_epoch", steps_per_epoch, low=1)
    rules = {
        "inverse_time": schedules.InverseTimeEpochDecay(alpha_0, decay_rate=1.0, steps_per_epoch=spe),
        "exponential": schedules.ExponentialEpochDecay(alpha_0, steps_per_epoch=spe, decay_base=0.95),
        "inverse_sqrt_epoch": schedules.InverseSqrtEpochDecay(alpha_0, steps_per_epoch=spe, k=1.0),
        "inverse_sqrt_step": schedules.InverseSqrtStepDecay(alpha_0, k=1.0),
        "staircase": schedules.StaircaseDecay(alpha_0, steps_per_epoch=spe, epochs_per_drop=5,
                                              factor=0.5),
    }
    steps = np.arange(epochs * spe)
    axis = 1.0 + steps / spe
    return {
        name: (axis, np.array([float(schedule(int(step))) for step in steps]), schedule)
        for name, schedule in rules.items()
    }


def temperature_series(days: int = 365, seed: int = 0) -> np.ndarray:
    """A noisy daily temperature over a year (degrees C), like seed 003's London example.

    A seasonal cosine (coldest in early January, 5 C; warmest in mid July,
    18 C) plus N(0, 3^2) day-to-day noise.
    """
    days = check_int("days", days, low=1)
    day = np.arange(1, days + 1)
    seasonal = 11.5 - 6.5 * np.cos(2 * np.pi * (day - 15) / 365.0)
    return seasonal + np.random.default_rng(check_int("seed", seed, low=0)).normal(0.0, 3.0, days)


def ewa_curves(
    values, betas: Sequence[float] = (0.9, 0.98, 0.5)
) -> dict[tuple[float, bool], np.ndarray]:
    """``tfcourse.ewa`` (in tfcourse.averages) of ``values`` for each beta, with and without bias correction.

    Returns:
        ``(beta, bias_correction)`` -> the averaged series.
    """
    from tfcourse.averages import ewa

    result = {}
    for beta in betas:
        beta = check_unit_interval("betas", beta)
        for corrected in (True, False):
            result[(beta, corrected)] = ewa(values, beta, bias_correction=corrected)
    return result
