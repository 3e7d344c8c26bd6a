"""Batch vs mini-batch vs stochastic gradient descent on one problem (seeds 003 and 004).

Seed 003 (C2W2L01-02): with the whole training set per update (batch
gradient descent, mini-batch size m) the cost J falls at every iteration;
with mini-batches J{t} is computed on a different mini-batch each time, so
it falls on the whole but noisily; with one example per update (stochastic
gradient descent) it is noisiest, and the path on the cost's contour plot
wanders around the minimum instead of settling. Seed 004 ("Batch
Learning", "Stochastic Gradient decent", "Mini-Batch") makes the same
comparison.

The problem is linear regression y = x . w* + noise with two weights, so
the cost J(w) = 1/(2m) sum_i (x_i . w - y_i)^2 is an elongated bowl whose
contours can be drawn exactly. Each run uses the package's own parts: a
float64 ``keras.Variable`` w, ``tfcourse.optimizers.GradientDescent``,
``tfcourse.training.MiniBatches`` (a fresh permutation each epoch) and the
gradient of the mini-batch cost from ``tf.GradientTape``.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from tfcourse._validation import check_int, check_positive

__all__ = ["GradientDescentRun", "RegressionProblem", "gradient_descent_runs",
           "regression_problem"]


@dataclasses.dataclass(frozen=True)
class RegressionProblem:
    """x (m, 2), y (m,), the true weights and the least-squares minimum of J."""

    x: np.ndarray
    y: np.ndarray
    true_weights: np.ndarray
    minimum: np.ndarray

    def cost(self, w) -> np.ndarray:
        """J(w) = 1/(2m) sum_i (x_i . w - y_i)^2 for w of shape (..., 2)."""
        w = np.asarray(w, dtype=np.float64)
        residual = np.einsum("ij,...j->...i", self.x, w) - self.y
        return 0.5 * np.mean(residual**2, axis=-1)


def regression_problem(num_examples: int = 1024, seed: int = 0) -> RegressionProblem:
    """y = 1.0 x_1 + 2.0 x_2 + N(0, 0.5^2), x_1 ~ N(0, 1), x_2 ~ N(0, 0.3^2) (an elongated bowl)."""
    num_examples = check_int("num_examples", num_examples, low=2)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    x = rng.standard_normal((num_examples, 2)) * np.array([1.0, 0.3])
    true_weights = np.array([1.0, 2.0])
    y = x @ true_weights + 0.5 * rng.standard_normal(num_examples)
    minimum = np.linalg.lstsq(x, y, rcond=None)[0]
    return RegressionProblem(x, y, true_weights, minimum)


@dataclasses.dataclass
class GradientDescentRun:
    """One optimizer run.

    Attributes:
        label: "batch (m = 1024)", "mini-batch (64)" or "stochastic (1)".
        batch_size: examples per update.
        positions: (T + 1, 2) weights, the start then after each update.
        minibatch_costs: (T,) the cost on the mini-batch of each update,
            before it (seed 003's J{t}).
        full_costs: (T + 1,) J(w) on the whole training set at each position.
    """

    label: str
    batch_size: int
    positions: np.ndarray
    minibatch_costs: np.ndarray
    full_costs: np.ndarray


def gradient_descent_runs(problem: RegressionProblem | None = None,
                          batch_sizes: Sequence[int | None] = (None, 64, 1),
                          iterations: int = 150, learning_rate: float = 0.25,
                          start=(-2.0, -3.0), seed: int = 0) -> dict[int, GradientDescentRun]:
    """Gradient descent with each mini-batch size from the same start, for ``iterations`` updates.

    Args:
        problem: a :class:`RegressionProblem`. Defaults to :func:`regression_problem`.
        batch_sizes: examples per update; ``None`` is m (batch gradient descent).
        iterations: updates per run, >= 1.
        learning_rate: > 0, the same for every run (stable for batch GD
            below 2 / the largest eigenvalue of x^T x / m, about 2). Defaults
            to 0.25, exact in float32 (the optimizer's learning-rate variable).
        start: the initial weights (w_1, w_2).
        seed: the mini-batches' shuffle seed.

    Returns:
        batch size -> :class:`GradientDescentRun`, in the order given.
    """
    import keras
    import tensorflow as tf

    from tfcourse import optimizers
    from tfcourse.training import MiniBatches

    problem = regression_problem() if problem is None else problem
    iterations = check_int("iterations", iterations, low=1)
    learning_rate = check_positive("learning_rate", learning_rate)
    m = len(problem.x)
    runs = {}
    for size in batch_sizes:
        size = m if size is None else check_int("batch_sizes", size, low=1, high=m)
        batches = MiniBatches(problem.x, problem.y, size, shuffle=size < m, seed=seed)
        w = keras.Variable(np.asarray(start, np.float64), dtype="float64", name="w")
        optimizer = optimizers.GradientDescent(learning_rate)
        stream = batches.epochs(0, -(-iterations // len(batches)) + 1)
        chosen = [next(stream) for _ in range(iterations)]
        x_all = tf.constant(np.stack([x for x, _ in chosen]))
        y_all = tf.constant(np.stack([y for _, y in chosen]))

        descend = tf.function(_descent_loop(w, optimizer, iterations))
        costs, trace = descend(x_all, y_all)
        positions = np.concatenate([np.asarray(start, np.float64)[None],
                                    np.asarray(trace, np.float64)])
        label = {m: f"batch (m = {m})", 1: "stochastic (1)"}.get(size, f"mini-batch ({size})")
        runs[size] = GradientDescentRun(label, size, positions, np.asarray(costs, np.float64),
                                        problem.cost(positions))
    return runs


def _descent_loop(w, optimizer, iterations):
    import tensorflow as tf

    def descend(x_all, y_all):
        # The whole loop in one graph: an eager step costs ~50 ms here.
        costs = tf.TensorArray(tf.float64, size=iterations)
        trace = tf.TensorArray(tf.float64, size=iterations)
        for step in tf.range(iterations):
            with tf.GradientTape() as tape:
                residual = tf.linalg.matvec(x_all[step], w.value) - y_all[step]
                cost = 0.5 * tf.reduce_mean(residual**2)
            optimizer.apply([tape.gradient(cost, w.value)], [w])
            costs = costs.write(step, cost)
            trace = trace.write(step, w.value)
        return costs.stack(), trace.stack()

    return descend
