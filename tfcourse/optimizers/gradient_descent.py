"""Plain (batch, stochastic or mini-batch) gradient descent, seeds 000-004.

The course writes it as ``W := W - alpha * dW`` (003), ``w+ = w - eta * dE/dw``
(000) and ``theta = theta - eta * grad J(theta)`` (002). Whether it is batch GD,
SGD or mini-batch GD depends only on how many examples each gradient averages
over: see ``tfcourse.training.train(batch_size=...)``.
"""

from __future__ import annotations

import keras
from keras import ops

from tfcourse.optimizers.base import REQUIRED, Convention, ConventionOptimizer

CONVENTIONS = {
    "course": Convention("seeds 000/003: W := W - alpha dW", {"learning_rate": 0.01}),
    "tf1": Convention(
        "tf.compat.v1.train.GradientDescentOptimizer", {"learning_rate": REQUIRED}
    ),
    "keras": Convention("keras.optimizers.SGD", {"learning_rate": 0.01}),
    "torch": Convention("torch.optim.SGD", {"learning_rate": 0.001}),
}


@keras.saving.register_keras_serializable(package="tfcourse")
class GradientDescent(ConventionOptimizer):
    """Gradient descent: the update every other optimizer refines (seeds 000, 003).

    Update rule (g is the gradient of the mini-batch loss):

        w <- w - lr * g

    All four conventions share this rule; they differ only in the default
    learning rate: course 0.01 (the seeds' ``GradientDescentOptimizer(
    learning_rate=0.01)``), tf1 none (``GradientDescentOptimizer`` requires it),
    keras 0.01 (``keras.optimizers.SGD``), torch 0.001 (``torch.optim.SGD``).
    torch's ``weight_decay`` is this package's ``l2``. A sparse gradient
    (IndexedSlices) subtracts lr * g from its rows, repeated rows adding up,
    in every convention (the fused path as one ``ResourceScatterSub``).

    Args:
        learning_rate: float > 0 or a ``LearningRateSchedule``. Defaults to
            the convention's (see above).
        convention: ``"course"`` (default), ``"tf1"``, ``"keras"``, ``"torch"``.
        l2, weight_decay, fused, and the Keras optimizer arguments: see
            ``tfcourse.optimizers.base.ConventionOptimizer``.

    Example:

    >>> import keras, numpy as np
    >>> from tfcourse.optimizers import GradientDescent
    >>> w = keras.Variable(np.array([1.0, 2.0, 3.0], "float32"))
    >>> _ = GradientDescent(0.1).apply_gradients([(np.ones(3, "float32"), w)])
    >>> np.round(keras.ops.convert_to_numpy(w).astype(float), 6).tolist()
    [0.9, 1.9, 2.9]

    References: seeds 000 (Unit 05), 002 (Learning Notation), 003 (C2W2L01).
    """

    CONVENTIONS = CONVENTIONS

    def __init__(self, learning_rate=None, *, convention="course", l2=0.0,
                 weight_decay=None, fused=None, name="gradient_descent", **kwargs):
        super().__init__(learning_rate, {}, convention=convention, l2=l2,
                         weight_decay=weight_decay, fused=fused, name=name, **kwargs)

    def _update(self, g, variable, lr):
        self.assign_sub(variable, ops.multiply(lr, g))

    def _sparse_update(self):
        # The four meanings of a sparse gradient coincide for w - lr g: the
        # IndexedSlices goes through as it is (a scatter-subtract, as in Keras
        # and TF1, whose repeated rows add up).
        return "keras"

    def _fused_kernel(self, sparse=None):
        return "ResourceApplyGradientDescent" if sparse is None else "ResourceScatterSub"

    def _fused_update(self, kernel, g, variable, lr):
        from tfcourse.optimizers import _fused_tf

        if kernel == "ResourceScatterSub":
            _fused_tf.apply(kernel, resource=variable, indices=g.indices,
                            updates=ops.multiply(lr, g.values))
        else:
            _fused_tf.apply(kernel, var=variable, alpha=lr, delta=g)
