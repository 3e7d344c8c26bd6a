"""The TF2 port of the course's MNIST programs: same low-level structure, eager TF2.

A line-by-line translation of the TF1 programs of ``legacy_tf1/`` (seed 004's
MNIST program and lecture 10's lab, seed 001):

=====================================  ==========================================
TF1 (legacy_tf1/mnist_nn_*.py)          TF2 port (this module)
=====================================  ==========================================
``X = tf.placeholder(tf.float32, ...)``  an argument of :meth:`MLPPort.train_step`
``W1 = tf.Variable(tf.random_normal)``   ``tf.Variable(initial value)`` (the
                                         legacy run's value, or drawn the same way)
``hypothesis = tf.matmul(L2, W3) + b3``  :meth:`MLPPort.hypothesis`
``cost = tf.reduce_mean(tf.nn.softmax_   :meth:`MLPPort.cost` (the same two ops)
cross_entropy_with_logits(...))``
``tf.train.AdamOptimizer(lr)             ``tfcourse.optimizers.Adam(lr,
.minimize(cost)``                        convention="tf1")`` + ``tf.GradientTape``
``sess.run([cost, optimizer], feed)``    ``train_step(X, Y)`` (a ``tf.function``)
``tf.nn.dropout(L, keep_prob)``          ``tf.nn.experimental.stateless_dropout``
                                         (rate = 1 - keep_prob, seeded per step)
``tf.nn.moments`` + ``tf.assign``        the same ops; ``Variable.assign``
(batch norm, pop_mean/pop_var)
=====================================  ==========================================

The forward pass uses the TF1 program's own ops (``tf.matmul`` + bias,
``tf.nn.relu``, ``tf.nn.softmax_cross_entropy_with_logits`` then
``tf.reduce_mean``) in float32, and the tfcourse optimizers' ``tf1``
convention runs TensorFlow's ``ResourceApply*`` kernels, the ones
``tf.compat.v1.train`` runs: from the same weights and the same mini-batches
the port reproduces the legacy per-step losses to the last bit on CPU
(measured; ``tests/test_labs_compare.py`` allows 1e-4).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import tensorflow as tf

from tfcourse.labs.registry import Lab

__all__ = ["MLPPort", "initial_weights_from_trace", "variable_shapes"]


def variable_shapes(lab: Lab) -> list[tuple[str, tuple]]:
    """The program's trainable variables in creation order: (role, shape).

    Plain layers create ``W`` then ``b``; a batch-norm layer creates ``W``
    (no bias), ``gamma`` then ``beta``; the logits layer ``W`` then ``b``.
    """
    sizes = (784, *lab.hidden_sizes, 10)
    shapes = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        hidden = i < len(sizes) - 1
        shapes.append((f"W{i}", (n_in, n_out)))
        if lab.batch_norm and hidden:
            shapes += [(f"gamma{i}", (n_out,)), (f"beta{i}", (n_out,))]
        else:
            shapes.append((f"b{i}", (n_out,)))
    return shapes


def initial_weights_from_trace(lab: Lab, weights: dict[str, np.ndarray]) -> list[np.ndarray]:
    """The legacy run's initial weights, in the program's creation order.

    A TF1 program's variable names are not the lab's (``Variable``,
    ``Variable_1``... for ``tf.Variable(tf.random_normal(...))``; ``W1`` for
    ``tf.get_variable("W1")``; ``L1_gamma`` in the batch-norm program), but
    its trainable-variable collection is in creation order, which the trace
    keeps: entry k is variable k of :func:`variable_shapes`.

    Raises:
        ValueError: the trace holds a different number of variables or shapes
            (it is not a run of this lab's program).
    """
    expected = variable_shapes(lab)
    names = list(weights)
    received = [(name, tuple(np.shape(weights[name]))) for name in names]
    if [shape for _, shape in received] != [shape for _, shape in expected]:
        raise ValueError(
            f"The trace's initial weights do not fit lab {lab.name!r}: it expects "
            f"{[shape for _, shape in expected]} (in creation order). "
            f"Received: {received}"
        )
    return [np.asarray(weights[name], dtype=np.float32) for name in names]


def draw_initial_weights(lab: Lab, seed: int) -> list[np.ndarray]:
    """Initial weights drawn as the program draws them, for a port run without a trace.

    ``tf.random_normal`` weights are N(0, 1); ``xavier_initializer()``
    weights are U(-sqrt(6/(fan_in+fan_out)), +...); batch-norm gamma/beta
    are ones/zeros. (TF1's random streams cannot be reproduced here: compare
    runs start from the legacy run's weights instead.)
    """
    from tfcourse import initializers  # noqa: PLC0415

    weights = []
    for index, (role, shape) in enumerate(variable_shapes(lab)):
        if role.startswith("gamma"):
            weights.append(np.ones(shape, np.float32))
        elif role.startswith("beta"):
            weights.append(np.zeros(shape, np.float32))
        else:
            name = lab.kernel_initializer if role.startswith("W") else lab.bias_initializer
            draw = initializers.get(name, seed=seed + index)
            weights.append(np.asarray(draw(shape, "float32"), np.float32))
    return weights


class MLPPort(tf.Module):
    """A course MNIST program in TF2: ``tf.Variable`` + ``tf.GradientTape`` + ``tf.function``.

    Args:
        lab: the :class:`~tfcourse.labs.registry.Lab`.
        weights: initial values in creation order (:func:`variable_shapes`).
        names: the TF1 variable names, for readability (``W1``, ``Variable``...).
        dropout_seed: seed of the dropout masks (stateless, one per step and layer).

    Example::

        port = MLPPort(lab, weights)
        for batch_xs, batch_ys in batches:          # mnist.train.next_batch(100)
            c = port.train_step(batch_xs, batch_ys)  # sess.run([cost, optimizer], feed)
        port.accuracy(test_images, test_labels)
    """

    def __init__(self, lab: Lab, weights: Sequence[np.ndarray], names: Sequence[str] | None = None,
                 dropout_seed: int = 0):
        super().__init__(name=lab.name)
        self.lab = lab
        roles = variable_shapes(lab)
        names = list(names) if names is not None else [role for role, _ in roles]
        self.trainable = [tf.Variable(np.asarray(w, np.float32), name=n.replace("/", "_"))
                          for w, n in zip(weights, names)]
        self._roles = [role for role, _ in roles]
        self.pop_means, self.pop_vars = [], []
        if lab.batch_norm:
            for units in lab.hidden_sizes:
                self.pop_means.append(tf.Variable(tf.zeros([units]), trainable=False))
                self.pop_vars.append(tf.Variable(tf.ones([units]), trainable=False))
        self.optimizer = lab.make_optimizer("tf1")
        self.keep_prob = lab.keep_prob if lab.has_dropout else 1.0
        self.dropout_seed = int(dropout_seed)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False)

    def _layer(self, index: int, inputs, training: bool):
        """Hidden layer ``index`` (0-based): the program's ``L_i``."""
        lab = self.lab
        if lab.batch_norm:
            W, gamma, beta = self.trainable[3 * index:3 * index + 3]
            z = tf.matmul(inputs, W)
            if training:
                batch_mean, batch_var = tf.nn.moments(z, [0])
                decay = lab.batch_norm_decay
                self.pop_means[index].assign(self.pop_means[index] * decay + batch_mean * (1 - decay))
                self.pop_vars[index].assign(self.pop_vars[index] * decay + batch_var * (1 - decay))
                normalized = tf.nn.batch_normalization(z, batch_mean, batch_var, beta, gamma,
                                                       lab.batch_norm_epsilon)
            else:
                normalized = tf.nn.batch_normalization(z, self.pop_means[index], self.pop_vars[index],
                                                       beta, gamma, lab.batch_norm_epsilon)
            return tf.nn.relu(normalized)
        W, b = self.trainable[2 * index:2 * index + 2]
        L = tf.nn.relu(tf.matmul(inputs, W) + b)
        if training and self.keep_prob < 1.0:
            seed = tf.stack([tf.cast(self.dropout_seed, tf.int64), self.step * 16 + index])
            L = tf.nn.experimental.stateless_dropout(L, rate=1.0 - self.keep_prob, seed=seed)
        return L

    def hypothesis(self, X, training: bool = False):
        """The logits: ``hypothesis = tf.matmul(L, W) + b``."""
        L = X
        for index in range(len(self.lab.hidden_sizes)):
            L = self._layer(index, L, training)
        W, b = self.trainable[-2:]
        return tf.matmul(L, W) + b

    def cost(self, X, Y, training: bool = False):
        """``tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=..., labels=Y))``."""
        return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(
            logits=self.hypothesis(X, training), labels=Y))

    @tf.function
    def train_step(self, X, Y):
        """One ``sess.run([cost, optimizer], feed_dict={X: ..., Y: ...})``; returns the cost."""
        with tf.GradientTape() as tape:
            c = self.cost(X, Y, training=True)
        gradients = tape.gradient(c, self.trainable)
        self.optimizer.apply_gradients(zip(gradients, self.trainable))
        self.step.assign_add(1)
        return c

    @tf.function
    def _correct(self, X, Y):
        correct_prediction = tf.equal(tf.argmax(self.hypothesis(X), 1), tf.argmax(Y, 1))
        return tf.reduce_sum(tf.cast(correct_prediction, tf.float32))

    def accuracy(self, X, Y, batch_size: int = 10000) -> float:
        """Test accuracy: ``tf.reduce_mean(tf.cast(tf.equal(argmax, argmax)))``."""
        correct = 0.0
        for start in range(0, len(X), batch_size):
            correct += float(self._correct(tf.constant(X[start:start + batch_size]),
                                           tf.constant(Y[start:start + batch_size])))
        return correct / len(X)

    def get_weights(self) -> list[np.ndarray]:
        return [variable.numpy() for variable in self.trainable]
