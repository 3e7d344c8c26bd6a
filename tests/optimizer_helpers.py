"""Shared fixtures of the optimizer tests: the fixed problem and the runners.

The problem: f(w) = 1/2 w'Aw - b'w in R^5, but the gradient handed to the
optimizer at step t is ``SCALE[t] * (A w - b) + OFFSET[t]``, so gradients vary
in sign and in size (1e-3 to 3) from step to step, and the learning rate at
step t is ``lr * LR_MULTIPLIER[t]`` (non-monotone, 0.4x to 1.6x). Every runner
returns the 21+ iterates w_0 ... w_N as an (N + 1, 5) float64 array.
"""

from __future__ import annotations

import numpy as np

N_STEPS = 24
_rng = np.random.default_rng(20240611)
_M = _rng.normal(size=(5, 5))
A = _M @ _M.T / 5 + 0.5 * np.eye(5)
B = _rng.normal(size=5)
W0 = 2.0 * _rng.normal(size=5)
SCALE = np.array([1.0, -0.5, 3.0, 0.001, -2.0, 0.02, 1.5, -0.003, 0.7, 2.5, -1.0, 0.01,
                  0.3, -0.05, 1.2, 0.002, -2.2, 0.8, -0.4, 0.05, 1.7, -0.9, 0.006, 1.1])
OFFSET = np.outer(np.sin(np.arange(N_STEPS) * 2.1), np.linspace(-0.3, 0.3, 5))
LR_MULTIPLIER = 1.0 + 0.6 * np.sin(np.arange(N_STEPS) * 1.3)


def grad(w, t, scale=1.0):
    """The gradient handed to the optimizer at step t = 1..N_STEPS."""
    return scale * (SCALE[t - 1] * (A @ w - B) + OFFSET[t - 1])


def learning_rates(lr):
    return lr * LR_MULTIPLIER


def keras_trajectory(optimizer, lrs, scale=1.0, dtype="float64"):
    """Run a Keras optimizer (ours or a built-in) eagerly, one apply per step.

    The learning rate is assigned before each step (Keras keeps it in a
    floatx variable, so call this under the float64 fixture).
    """
    import keras

    w = keras.Variable(W0.copy(), dtype=dtype)
    points = [W0.copy()]
    for t in range(1, len(lrs) + 1):
        optimizer.learning_rate = float(lrs[t - 1])
        g = grad(np.asarray(keras.ops.convert_to_numpy(w), dtype=np.float64), t, scale)
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g.astype(dtype)), w)])
        points.append(np.asarray(keras.ops.convert_to_numpy(w), dtype=np.float64))
    return np.array(points)


def tf1_trajectory(make_optimizer, lrs, scale=1.0):
    """Run a tf.compat.v1.train optimizer in graph mode (tf.Graph + Session).

    ``make_optimizer(lr)`` gets the float64 learning-rate placeholder; pass
    float64 tensors for the other hyperparameters so TF1 does not round them
    through float32 (conventions.md section 0).
    """
    import tensorflow as tf

    v1 = tf.compat.v1
    graph = tf.Graph()
    with graph.as_default():
        w = v1.get_variable("w", initializer=tf.constant(W0, tf.float64), use_resource=True)
        lr = v1.placeholder(tf.float64, [])
        step_scale = v1.placeholder(tf.float64, [])
        offset = v1.placeholder(tf.float64, [5])
        g = scale * (step_scale * (tf.linalg.matvec(tf.constant(A), w) - B) + offset)
        train = make_optimizer(lr).apply_gradients([(g, w)])
        points = [W0.copy()]
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            for t in range(1, len(lrs) + 1):
                session.run(train, {lr: lrs[t - 1], step_scale: SCALE[t - 1],
                                    offset: OFFSET[t - 1]})
                points.append(session.run(w))
    assert tf.executing_eagerly()
    return np.array(points)


def assert_same_trajectory(got, want, rtol, atol, label=""):
    """Compare at every step; the failure message names the first bad step."""
    assert got.shape == want.shape, (got.shape, want.shape)
    for step, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol,
                                   err_msg=f"{label} step {step}")


def max_relative_gap(a, b):
    """Largest |a - b| over the run, relative to how far the run moved."""
    moved = np.max(np.abs(b - b[0]))
    return float(np.max(np.abs(a - b)) / moved)
