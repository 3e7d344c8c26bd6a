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
    "INITIALIZATION_ACTIVATIONS",
    "LayerStatistics",
    "ACTIVATION_LABELS",
    "LinearCollapse",
    "SymmetryRun",
    "activation_curves",
    "decay_curves",
    "ewa_curves",
    "initialization_experiment",
    "linear_collapse",
    "symmetry_experiment",
    "tanh_identity",
    "temperature_series",
]

COURSE_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu_0.1", "prelu", "elu",
                      "maxout")
"""Seed 000's activations. ``prelu`` is drawn with its learned slope at
PRELU_ALPHA; ``maxout`` is one Maxout unit of MAXOUT_PIECES on a scalar input."""

ACTIVATION_LABELS = {
    "sigmoid": "sigmoid 1/(1+e^-x)",
    "tanh": "tanh",
    "relu": "ReLU max(0, x)",
    "leaky_relu": "leaky ReLU max(0.01x, x)",
    "leaky_relu_0.1": "leaky ReLU max(0.1x, x)",
    "prelu": "PReLU max(ax, x), a learned (here 0.25)",
    "elu": "ELU, alpha = 1",
    "maxout": "Maxout max(-0.5x-1, 0.25x, 1.5x-2)",
}
"""Legend text of each activation, with its slope or pieces stated."""

PRELU_ALPHA = 0.25
"""PReLU's slope for the picture: He et al. (2015) initialize alpha to 0.25."""

MAXOUT_PIECES = ((-0.5, -1.0), (0.25, 0.0), (1.5, -2.0))
"""(w_i, b_i) of the pictured Maxout unit max_i (w_i x + b_i) (seed 000: max(w1 x + b1, w2 x + b2))."""


def _activation_for_picture(name):
    import keras

    from tfcourse.layers import Maxout, activation_layer

    if name == "prelu":
        return keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(PRELU_ALPHA))
    if name == "maxout":
        layer = Maxout(1, num_pieces=len(MAXOUT_PIECES), dtype="float64")
        layer.build((None, 1))
        weights = np.array([[w for w, _ in MAXOUT_PIECES]])
        layer.set_weights([weights, np.array([b for _, b in MAXOUT_PIECES])])
        return lambda x: layer(x[:, None])[:, 0]
    return activation_layer(name)


def activation_curves(
    names: Sequence[str] = COURSE_ACTIVATIONS, x: np.ndarray | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each activation and its derivative on ``x``, by automatic differentiation.

    The derivative is what backpropagation multiplies by: the sigmoid's never
    exceeds 1/4 (at 0) and is below 0.01 for |x| > 4.6, the vanishing
    gradient of seed 000.

    Args:
        names: names from ``tfcourse.layers.ACTIVATIONS``. Defaults to
            ``COURSE_ACTIVATIONS`` (``prelu`` drawn at slope PRELU_ALPHA,
            ``maxout`` as one unit with MAXOUT_PIECES).
        x: the inputs. Defaults to 601 points on [-6, 6].

    Returns:
        name -> ``(f(x), f'(x))`` as float64 arrays. At the kink of ReLU-like
        functions f'(0) is the right-hand value TensorFlow uses.
    """
    import tensorflow as tf

    x = np.linspace(-6.0, 6.0, 601) if x is None else np.asarray(x, dtype=np.float64)
    result = {}
    for name in names:
        layer = _activation_for_picture(name)
        inputs = tf.constant(x, dtype=tf.float64)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            outputs = layer(inputs)
        derivative = tape.gradient(outputs, inputs)
        result[name] = (np.asarray(outputs, np.float64), np.asarray(derivative, np.float64))
    return result


def tanh_identity(x=None) -> dict[str, np.ndarray]:
    """tanh(x), 2 sigmoid(2x) - 1 and the slide's first line (1 - e^-x) / (1 + e^-x) (seed 002).

    Seed 002 writes tanh(x) = (1 - e^-x)/(1 + e^-x) = 2/(1 + e^-2x) - 1 =
    2 sigma(2x) - 1. The last two are tanh; the first is a misprint: it is
    tanh(x / 2) (the exponents should be -2x). tanh and sigma come from
    Keras' own activations, in float64.
    """
    import keras

    x = np.linspace(-4.0, 4.0, 401) if x is None else np.asarray(x, dtype=np.float64)
    tanh = keras.ops.convert_to_numpy(keras.activations.tanh(x))
    from_sigmoid = 2.0 * keras.ops.convert_to_numpy(keras.activations.sigmoid(2.0 * x)) - 1.0
    return {"x": x, "tanh": np.asarray(tanh, np.float64),
            "2 sigmoid(2x) - 1": np.asarray(from_sigmoid, np.float64),
            "slide: (1 - e^-x) / (1 + e^-x)": (1.0 - np.exp(-x)) / (1.0 + np.exp(-x))}


@dataclasses.dataclass
class LinearCollapse:
    """A deep net with a linear activation and the single layer it equals.

    Attributes:
        x: the scalar inputs.
        deep: the deep linear net's output.
        collapsed: x W + b with W = W1 W2 ... WL and b folded in the same way.
        nonlinear: the same sizes and weights with tanh between the layers.
        max_difference: max |deep - collapsed|.
        num_layers: Dense layers in the deep nets.
    """

    x: np.ndarray
    deep: np.ndarray
    collapsed: np.ndarray
    nonlinear: np.ndarray
    max_difference: float
    num_layers: int


def linear_collapse(hidden_sizes: Sequence[int] = (16, 16, 16), seed: int = 0) -> LinearCollapse:
    """Seed 000: "without a nonlinear activation it is just linear regression (y = W X + b)".

    Builds ``MLPSpec(input_size=1, hidden_sizes, num_classes=1,
    activation="linear")`` with ``tfcourse.models.build_model`` (float64),
    multiplies its kernels into one W and folds the biases into one b
    (b = ((b1 W2 + b2) W3 + b3) ...), and evaluates both on x in [-3, 3]:
    the outputs agree to rounding. The same weights with ``tanh`` bend.
    """
    import keras

    from tfcourse import models

    spec = models.MLPSpec(input_size=1, hidden_sizes=tuple(hidden_sizes), num_classes=1,
                          activation="linear", kernel_initializer="xavier",
                          bias_initializer="random_normal")
    from tfcourse._precision import float64_keras

    x = np.linspace(-3.0, 3.0, 121)[:, None]
    with float64_keras():
        deep_model = models.build_model(spec, seed=seed)
        curved_model = models.build_model(spec.replace(activation="tanh"), seed=seed)
        curved_model.set_weights(deep_model.get_weights())
        deep = keras.ops.convert_to_numpy(deep_model(x))[:, 0]
        nonlinear = keras.ops.convert_to_numpy(curved_model(x))[:, 0]
        dense = [layer for layer in deep_model.layers if isinstance(layer, keras.layers.Dense)]
    W = np.eye(1)
    b = np.zeros(1)
    for layer in dense:
        kernel, bias = (np.asarray(v, np.float64) for v in layer.get_weights())
        W, b = W @ kernel, b @ kernel + bias
    collapsed = (x @ W + b)[:, 0]
    return LinearCollapse(x[:, 0], deep, collapsed, nonlinear,
                          float(np.max(np.abs(deep - collapsed))), len(dense))


INITIALIZATIONS = ("zeros", "N(0, 0.01)", "N(0, 1)", "Xavier", "He")
"""All-zero weights (seed 001: "0으로 설정하지 마라", the symmetry problem), seed 002's
cases I and II, then the course's Xavier and He (seed 000)."""

INITIALIZATION_ACTIVATIONS = ("tanh", "relu", "sigmoid")


@dataclasses.dataclass
class LayerStatistics:
    """Activations of each layer of one deep net on one batch.

    Attributes:
        activation: ``"tanh"``, ``"relu"`` or ``"sigmoid"``.
        initialization: one of ``INITIALIZATIONS``.
        means, stds: per layer (layer 1 first).
        histograms: per layer, ``(counts, edges)`` of the activation values
            (for ReLU, of the positive ones). Every layer of one net shares
            the same edges: (-1, 1) for tanh, (0, 1) for sigmoid, and for
            ReLU (0, the largest activation of any layer), so that shrinking
            and growing activations look different.
        saturated_fraction: per layer, for tanh the fraction with |a| > 0.99,
            for sigmoid the fraction below 0.01 or above 0.99, for ReLU the
            fraction of zeros.
        distinct_units: per layer, how many different columns (units) the
            activations have: 1 means every unit computes the same thing.
    """

    activation: str
    initialization: str
    means: np.ndarray
    stds: np.ndarray
    histograms: list
    saturated_fraction: np.ndarray
    distinct_units: np.ndarray


def _initializer(name: str, seed: int):
    from tfcourse import initializers
    from tfcourse._validation import check_choice

    factories = {
        "zeros": lambda: "zeros",
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

    Seed 002's experiment (after CS231n): ``num_layers`` Dense layers of
    ``units`` units, no biases, weights from the initialization, inputs
    N(0, 1), tanh and ReLU. With N(0, 0.01) tanh activations shrink to 0
    layer by layer (no gradient); with N(0, 1) they saturate at +-1; Xavier
    keeps tanh alive; ReLU needs He (Xavier halves the variance at each
    layer). Seed 001's ("실험해 보자": 5 layers of 100 units, sigmoid; std 1,
    std 0.01, Xavier, He) is ``initialization_experiment(("sigmoid",),
    ("N(0, 1)", "N(0, 0.01)", "Xavier", "He"), num_layers=5, units=100)``.
    All-zero weights make every unit of a layer compute the same value
    (``distinct_units`` = 1): they receive the same gradient and stay equal,
    the symmetry that random initialization breaks.

    Args:
        activations: from ``INITIALIZATION_ACTIVATIONS``.
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
        check_choice("activations", activation, INITIALIZATION_ACTIVATIONS)
        for initialization in initializations:
            x = inputs
            outputs = []
            for index in range(num_layers):
                layer = keras.layers.Dense(
                    units, activation=activation, use_bias=False,
                    kernel_initializer=_initializer(initialization, seed + index),
                )
                x = keras.ops.convert_to_numpy(layer(x))
                outputs.append(x)
            results[(activation, initialization)] = _layer_statistics(
                activation, initialization, outputs, bins)
    return results


def _layer_statistics(activation, initialization, outputs, bins) -> LayerStatistics:
    if activation == "tanh":
        value_range = (-1.0, 1.0)
    elif activation == "sigmoid":
        value_range = (0.0, 1.0)
    else:
        # One scale for the whole net: layer 1's range would hide vanishing
        # and exploding alike. The zeros (about half) would flatten the
        # picture: they are counted in saturated_fraction instead.
        high = max((float(np.max(x)) for x in outputs), default=0.0)
        value_range = (0.0, high if high > 0 else 1.0)
    means, stds, histograms, saturated, distinct = [], [], [], [], []
    for x in outputs:
        means.append(float(np.mean(x)))
        stds.append(float(np.std(x)))
        values = x[x > 0] if activation == "relu" else x
        histograms.append(np.histogram(values, bins=bins, range=value_range))
        if activation == "tanh":
            saturated.append(float(np.mean(np.abs(x) > 0.99)))
        elif activation == "sigmoid":
            saturated.append(float(np.mean((x < 0.01) | (x > 0.99))))
        else:
            saturated.append(float(np.mean(x == 0)))
        distinct.append(len(np.unique(x, axis=1)[0]) if x.size else 0)
    return LayerStatistics(activation, initialization, np.array(means), np.array(stds),
                           histograms, np.array(saturated), np.array(distinct))


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


@dataclasses.dataclass
class SymmetryRun:
    """One initialization of the symmetry experiment.

    Attributes:
        initialization: ``"zeros"`` or ``"xavier"``.
        steps: the recorded steps (0 = before training).
        spread: max over hidden units of |W1[:, j] - mean_j W1[:, j]|: 0 while
            every unit has the same incoming weights.
        train_accuracy: accuracy on the training examples at each step.
    """

    initialization: str
    steps: np.ndarray
    spread: np.ndarray
    train_accuracy: np.ndarray


def symmetry_experiment(train, *, hidden_units: int = 32, steps: int = 300,
                        record_every: int = 25, batch_size: int = 100,
                        learning_rate: float = 0.5, seed: int = 0) -> dict[str, SymmetryRun]:
    """All-zero weights vs Xavier in a one-hidden-layer sigmoid net (seed 001: "0으로 설정하지 마라").

    With every weight 0, every hidden unit computes the same value, receives
    the same gradient and so stays equal to the others: the layer trains as
    if it had one unit, whatever its width. Random weights break the
    symmetry. Both nets are ``tfcourse.models.MLPSpec(hidden_sizes=(units,),
    activation="sigmoid")`` (zero biases) trained by
    ``tfcourse.optimizers.GradientDescent`` on the same mini-batches.
    """
    import keras

    from tfcourse import models, optimizers
    from tfcourse.training import MiniBatches

    steps = check_int("steps", steps, low=1)
    record_every = check_int("record_every", record_every, low=1, high=steps)
    x, y = train
    batches = MiniBatches(x, y, batch_size, seed=seed)
    results = {}
    for initialization in ("zeros", "xavier"):
        keras.utils.set_random_seed(seed)
        spec = models.MLPSpec(input_size=x.shape[1], hidden_sizes=(hidden_units,),
                              activation="sigmoid", kernel_initializer=initialization)
        model = models.build_model(spec, seed=seed)
        model.compile(optimizer=optimizers.GradientDescent(learning_rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        record = {"steps": [], "spread": [], "accuracy": []}

        def measure(step, model=model, record=record):
            kernel = model.get_layer("dense_1").get_weights()[0]
            record["steps"].append(step)
            record["spread"].append(float(np.max(np.abs(kernel - kernel.mean(1, keepdims=True)))))
            logits = keras.ops.convert_to_numpy(model(x, training=False))
            record["accuracy"].append(float(np.mean(np.argmax(logits, 1) == y)))

        measure(0)
        for start in range(0, steps, record_every):
            count = min(record_every, steps - start)
            for step in range(start, start + count):
                model.train_on_batch(*batches.batch(step // len(batches), step % len(batches)))
            measure(start + count)
        results[initialization] = SymmetryRun(initialization, np.asarray(record["steps"]),
                                              np.asarray(record["spread"]),
                                              np.asarray(record["accuracy"]))
    return results
