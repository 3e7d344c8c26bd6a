"""Paths of the tfcourse optimizers on a 2-D surface (seed 004's pictures).

The optimizers are the same ``tfcourse.optimizers`` classes that train
models, applied to one 2-element float64 ``keras.Variable`` (x, y) with the
surface's gradient from ``tf.GradientTape``; nothing here re-implements an
update rule. After a path leaves the region, the remaining updates run on
inf/NaN and are discarded. A path stops when it leaves the region around the plot or
becomes non-finite, and records the step, so a too-large learning rate shows
up as "diverged at step k" instead of an exception.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping, Sequence

import numpy as np

from tfcourse._runtime import tensorflow_logger_level
from tfcourse._validation import check_choice, check_int, check_positive
from tfcourse.conventions import CONVENTIONS
from tfcourse.viz.surfaces import Surface, get_surface

__all__ = ["OptimizerPath", "optimizer_path", "optimizer_paths"]

# Hyperparameters some conventions' sources have no default for
# (tfcourse.optimizers raises rather than guess): the course's values.
_REQUIRED_EXTRAS = {
    ("momentum", "tf1"): {"momentum": 0.9},
    ("nesterov", "tf1"): {"momentum": 0.9},
    ("adamw", "tf1"): {"weight_decay": 1e-4},
}


@dataclasses.dataclass
class OptimizerPath:
    """One optimizer's path.

    Attributes:
        optimizer: the registry name (``tfcourse.optimizers.ALL``).
        convention: the optimizer's convention.
        learning_rate: the rate used.
        positions: (n + 1, 2) array, the start and the point after each of
            the n updates that stayed finite.
        losses: f at each position, shape (n + 1,).
        stopped_at: the update after which the path left the region or
            became non-finite, or ``None`` if it ran all steps.
        exit_word: ``"diverged"`` or ``"escaped"`` (the surface's word).
    """

    optimizer: str
    convention: str
    learning_rate: float
    positions: np.ndarray
    losses: np.ndarray
    stopped_at: int | None
    exit_word: str = "diverged"

    @property
    def final(self) -> np.ndarray:
        """The last position."""
        return self.positions[-1]

    @property
    def label(self) -> str:
        """The legend entry, e.g. ``"adam (lr=0.1)"`` or ``"... diverged at step 3"``."""
        text = f"{self.optimizer} (lr={self.learning_rate:g})"
        if self.stopped_at is not None:
            text += f", {self.exit_word} at step {self.stopped_at}"
        return text


def optimizer_path(
    surface: Surface | str,
    optimizer: str,
    learning_rate: float | None = None,
    convention: str = "course",
    steps: int | None = None,
    **kwargs,
) -> OptimizerPath:
    """Run one tfcourse optimizer on ``surface`` from its start.

    Args:
        surface: a :class:`Surface` or its name.
        optimizer: a name in ``tfcourse.optimizers.ALL``.
        learning_rate: > 0. Defaults to the surface's rate for this optimizer.
        convention: ``"course"`` (default), ``"tf1"``, ``"keras"`` or ``"torch"``.
        steps: number of updates, >= 1. Defaults to the surface's.
        **kwargs: other hyperparameters for the optimizer.
    """
    import keras
    import tensorflow as tf

    from tfcourse import optimizers

    surface = get_surface(surface) if isinstance(surface, str) else surface
    check_choice("optimizer", optimizer, optimizers.ALL)
    convention = check_choice("convention", convention, CONVENTIONS)
    steps = surface.steps if steps is None else check_int("steps", steps, low=1)
    if learning_rate is None:
        learning_rate = surface.learning_rates[optimizer]
    learning_rate = check_positive("learning_rate", learning_rate)
    options = {**_REQUIRED_EXTRAS.get((optimizer, convention), {}), **kwargs}
    instance = optimizers.get(optimizer, learning_rate=learning_rate, convention=convention,
                              **options)
    point = keras.Variable(np.asarray(surface.start, dtype=np.float64), dtype="float64",
                           name="xy")

    @tf.function
    def run():
        # The whole loop in one graph: an eager loop costs ~1 ms per step.
        trace = tf.TensorArray(tf.float64, size=steps)
        for step in tf.range(steps):
            with tf.GradientTape() as tape:
                loss = surface(point[0], point[1])
            instance.apply([tape.gradient(loss, point.value)], [point])
            trace = trace.write(step, point.value)
        return trace.stack()

    # Each optimizer gets its own tf.function; TF warns about retracing after
    # five of them, which is expected here.
    with tensorflow_logger_level(), np.errstate(invalid="ignore", over="ignore"):
        trace = keras.ops.convert_to_numpy(run()).astype(np.float64)
    positions = [np.asarray(surface.start, dtype=np.float64)]
    stopped_at = None
    for step, current in enumerate(trace, start=1):
        if np.all(np.isfinite(current)):
            positions.append(current)
        if not surface.in_bounds(current):
            stopped_at = step
            break
    positions = np.stack(positions)
    with np.errstate(over="ignore", invalid="ignore"):
        losses = np.asarray(surface(positions[:, 0], positions[:, 1]), dtype=np.float64)
    return OptimizerPath(optimizer, convention, learning_rate, positions, losses, stopped_at,
                         surface.exit_word)


def optimizer_paths(
    surface: Surface | str,
    optimizers: Sequence[str] | None = None,
    convention: str = "course",
    steps: int | None = None,
    learning_rates: float | Mapping[str, float] | None = None,
) -> dict[str, OptimizerPath]:
    """Run every optimizer (default: all of ``tfcourse.optimizers.ALL``) from the same start.

    Args:
        surface: a :class:`Surface` or its name (``"beale"``, ``"rosenbrock"``,
            ``"long_valley"``, ``"saddle"``).
        optimizers: registry names. Defaults to all, in the course's order.
        convention: one convention for all of them. Defaults to ``"course"``.
        steps: updates per path. Defaults to the surface's.
        learning_rates: one rate for all, or name -> rate overriding the
            surface's table. Defaults to the table.

    Returns:
        name -> :class:`OptimizerPath`, in the order given.
    """
    from tfcourse import optimizers as registry

    surface = get_surface(surface) if isinstance(surface, str) else surface
    names = list(registry.ALL) if optimizers is None else list(optimizers)
    if not names:
        raise ValueError("`optimizers` must name at least one optimizer. Received: optimizers=[]")
    if learning_rates is None or isinstance(learning_rates, Mapping):
        table = dict(learning_rates or {})
        rates = {name: table.get(name) for name in names}
    else:
        rate = check_positive("learning_rate", learning_rates)
        rates = {name: rate for name in names}
    return {
        name: optimizer_path(surface, name, rates[name], convention, steps) for name in names
    }
