"""The optimizer family: which fix the gradient, which fix the step size, which both (seeds 000, 002).

Seed 000 ("Optimizer 발전 과정") splits gradient descent's update
w+ = w - eta * dE/dw into its two parts, "how far" (the learning rate eta,
the step size) and "which way" (the gradient), and sorts SGD's successors:

    fix the gradient (direction)     Momentum, NAG
    fix the step size                Adagrad, RMSProp, AdaDelta
    both                             Adam, Nadam

Seed 002 ends with the same family tree ("산 내려오는 작은 오솔길 찾기
(Optimizer)의 발달 계보").

:func:`family_measurements` shows the split with numbers. Every
``tfcourse.optimizers`` class (course convention) updates two points at
once, each with its own gradient sequence:

* steady gradients g = (1, 10): the slope is 10 times steeper along y.
  ``step_ratio`` = mean |dy| / mean |dx|. Plain GD and the methods that
  fix the gradient move 10 times further along y (the step follows the
  gradient, about 10); those that fix the step size divide each coordinate
  by its own gradient scale and move both alike (about 1).
* flipping gradients g_t = (1, 10 (-1)^t): the valley whose walls make GD
  zig-zag. ``damping`` = (mean |dy| / mean |dx| here) / ``step_ratio``: how
  much of the flipping part survives. Averaging the gradient (momentum)
  cancels it (damping far below 1); the others pass it through (about 1).

Measured (``tfcourse plot family``; 200 updates, learning rate 0.01,
Adadelta 1.0; the last 100 averaged): see :func:`family_measurements`.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tfcourse._validation import check_int

__all__ = ["FAMILIES", "FamilyMeasurement", "family_measurements"]

FAMILIES = {
    "gradient_descent": "plain (w - lr g)",
    "momentum": "fixes the gradient",
    "nesterov": "fixes the gradient",
    "adagrad": "fixes the step size",
    "rmsprop": "fixes the step size",
    "adadelta": "fixes the step size",
    "adam": "fixes both",
    "nadam": "fixes both",
    "adamw": "fixes both",
}
"""Registry name -> family (seed 000's three groups; AdamW is Adam with decoupled decay)."""


@dataclasses.dataclass
class FamilyMeasurement:
    """How one optimizer treats steady and flipping gradients.

    Attributes:
        optimizer: the registry name.
        family: ``FAMILIES[optimizer]``.
        learning_rate: the rate used.
        steady_updates, flipping_updates: (steps, 2) the change of (x, y) at
            every step under each gradient sequence.
        step_ratio: mean |dy| / mean |dx| under steady gradients (1, 10),
            second half of the steps.
        damping: mean |dy| / mean |dx| under flipping gradients, divided by
            ``step_ratio``.
    """

    optimizer: str
    family: str
    learning_rate: float
    steady_updates: np.ndarray
    flipping_updates: np.ndarray
    step_ratio: float
    damping: float


def steady_gradients(steps: int) -> np.ndarray:
    """g_t = (1, 10), t = 1..steps."""
    return np.tile([1.0, 10.0], (steps, 1))


def flipping_gradients(steps: int) -> np.ndarray:
    """g_t = (1, 10 (-1)^t), t = 1..steps."""
    t = np.arange(1, steps + 1)
    return np.stack([np.ones(steps), 10.0 * (-1.0) ** t], axis=1)


def _ratio(updates: np.ndarray) -> float:
    late = np.abs(updates[len(updates) // 2:])
    return float(late[:, 1].mean() / late[:, 0].mean())


def family_measurements(steps: int = 200, learning_rate: float = 0.01,
                        optimizers=None) -> dict[str, FamilyMeasurement]:
    """Run every optimizer on the steady and the flipping gradients; measure both ratios.

    Args:
        steps: updates, >= 2. Defaults to 200.
        learning_rate: the same for every optimizer except Adadelta, whose
            "rate" multiplies an already unit-free step (1.0, its paper's).
        optimizers: registry names. Defaults to ``FAMILIES``' keys.

    Returns:
        name -> :class:`FamilyMeasurement`, in order.
    """
    import keras
    import tensorflow as tf

    from tfcourse import optimizers as registry
    from tfcourse._runtime import tensorflow_logger_level

    steps = check_int("steps", steps, low=2)
    names = list(FAMILIES) if optimizers is None else list(optimizers)
    gradients = tf.constant(np.stack([steady_gradients(steps), flipping_gradients(steps)], 1))
    results = {}
    for name in names:
        rate = 1.0 if name == "adadelta" else learning_rate
        optimizer = registry.get(name, learning_rate=rate, convention="course")
        # One optimizer, two points: its slots are per variable, so the two
        # sequences do not mix, and both see the same step count t.
        points = [keras.Variable(np.zeros(2), dtype="float64", name=f"w_{k}") for k in range(2)]
        optimizer.build(points)
        with tensorflow_logger_level():
            trace = np.asarray(tf.function(_loop(optimizer, points, steps))(gradients),
                               np.float64)  # (steps, point, coordinate)
        positions = np.concatenate([np.zeros((1, 2, 2)), trace])
        updates = np.diff(positions, axis=0)
        step_ratio = _ratio(updates[:, 0])
        results[name] = FamilyMeasurement(name, FAMILIES.get(name, "?"), rate, updates[:, 0],
                                          updates[:, 1], step_ratio,
                                          _ratio(updates[:, 1]) / step_ratio)
    return results


def _loop(optimizer, points, steps):
    import tensorflow as tf

    def run(gradients):
        # The whole loop in one graph: an eager update costs ~10 ms.
        trace = tf.TensorArray(tf.float64, size=steps)
        for step in tf.range(steps):
            optimizer.apply([gradients[step, 0], gradients[step, 1]], points)
            trace = trace.write(step, tf.stack([p.value for p in points]))
        return trace.stack()

    return run
