"""AdaDelta: Adagrad with units that match, and no learning rate (seed 000, 002)."""

from __future__ import annotations

import keras
from keras import ops

from tfcourse.optimizers.base import (
    Convention,
    ConventionOptimizer,
    non_negative,
    unit_interval_closed_open,
)

CONVENTIONS = {
    "course": Convention(
        "Zeiler 2012, Algorithm 1 (seeds 000/002 name AdaDelta without a formula)",
        {"learning_rate": 1.0, "rho": 0.95, "epsilon": 1e-6},
    ),
    "tf1": Convention(
        "tf.compat.v1.train.AdadeltaOptimizer",
        {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-8},
    ),
    "keras": Convention(
        "keras.optimizers.Adadelta", {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7}
    ),
    "torch": Convention(
        "torch.optim.Adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}
    ),
}


@keras.saving.register_keras_serializable(package="tfcourse")
class Adadelta(ConventionOptimizer):
    """AdaDelta (Zeiler 2012), the course's "RMSprop + Adagrad 보정" (seed 000).

    Like RMSProp, but the step is scaled by a running RMS of past *updates*,
    so it has the units of the weights and needs no learning rate.

    Update rule (E[g^2] and E[dx^2] start at 0):

        E[g^2]  <- rho E[g^2] + (1 - rho) g^2
        dx       = sqrt(E[dx^2] + epsilon) / sqrt(E[g^2] + epsilon) * g
        E[dx^2] <- rho E[dx^2] + (1 - rho) dx^2
        w       <- w - lr dx

    All four conventions use this rule (both square roots hold epsilon); they
    differ in the defaults only. Zeiler's algorithm has no learning rate, i.e.
    lr = 1 (course, torch); TF1 and Keras default to 0.001, which makes every
    step 1000 times smaller than the paper's.

    Args:
        learning_rate: float > 0 or a ``LearningRateSchedule``. Defaults:
            course 1.0, tf1 0.001, keras 0.001, torch 1.0.
        rho: decay in [0, 1). Defaults: 0.95 (Zeiler, tf1, keras); torch 0.9.
        epsilon: >= 0. Defaults: course 1e-6 (Zeiler), tf1 1e-8, keras 1e-7,
            torch 1e-6.
        convention: ``"course"`` (default), ``"tf1"``, ``"keras"``, ``"torch"``.
        l2, weight_decay, fused, and the Keras optimizer arguments: see
            ``tfcourse.optimizers.base.ConventionOptimizer``.

    Example:

    >>> import keras, numpy as np
    >>> from tfcourse.optimizers import Adadelta
    >>> w = keras.Variable(np.zeros(1, "float32"))
    >>> opt = Adadelta(rho=0.75, epsilon=0.25)   # dx = sqrt(.25) / sqrt(.25 + .25) * 1
    >>> _ = opt.apply_gradients([(np.array([1.0], "float32"), w)])
    >>> np.round(keras.ops.convert_to_numpy(w).astype(float), 6).tolist()
    [-0.707107]

    References: seeds 000 and 002 (AdaDelta); Zeiler 2012 (arXiv:1212.5701),
    Algorithm 1; conventions.md 2.5.
    """

    CONVENTIONS = CONVENTIONS
    COMPLEMENTS = ("rho",)
    HYPERPARAMETERS = {"rho": unit_interval_closed_open, "epsilon": non_negative}

    def __init__(self, learning_rate=None, rho=None, epsilon=None, *, convention="course",
                 l2=0.0, weight_decay=None, fused=None, name="adadelta", **kwargs):
        super().__init__(learning_rate, {"rho": rho, "epsilon": epsilon},
                         convention=convention, l2=l2, weight_decay=weight_decay,
                         fused=fused, name=name, **kwargs)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._mean_square_gradients, self._mean_square_updates = self.add_optimizer_variables(
            var_list, ["mean_square_gradient", "mean_square_update"]
        )

    def _update(self, g, variable, lr):
        dtype = variable.dtype
        index = self._get_variable_index(variable)
        rho = self._constant(self.rho, dtype)
        one_minus_rho = self._complement(self.rho, dtype)
        eps = self._constant(self.epsilon, dtype)
        mean_g2 = self._mean_square_gradients[index]
        mean_dx2 = self._mean_square_updates[index]
        self.assign(mean_g2, ops.add(ops.multiply(rho, mean_g2),
                                     ops.multiply(one_minus_rho, ops.square(g))))
        dx = ops.multiply(ops.divide(ops.sqrt(ops.add(mean_dx2, eps)),
                                     ops.sqrt(ops.add(mean_g2, eps))), g)
        self.assign(mean_dx2, ops.add(ops.multiply(rho, mean_dx2),
                                      ops.multiply(one_minus_rho, ops.square(dx))))
        self.assign_sub(variable, ops.multiply(lr, dx))

    def _fused_kernel(self, sparse=None):
        if sparse == "keras":
            return None  # Keras' averages add each repeated row's square
        return "ResourceSparseApplyAdadelta" if sparse == "rows" else "ResourceApplyAdadelta"

    def _fused_update(self, kernel, g, variable, lr):
        from tfcourse.optimizers import _fused_tf

        dtype = variable.dtype
        index = self._get_variable_index(variable)
        _fused_tf.apply(
            kernel, var=variable, accum=self._mean_square_gradients[index],
            accum_update=self._mean_square_updates[index], lr=lr,
            rho=self._constant(self.rho, dtype), epsilon=self._constant(self.epsilon, dtype),
            grad=g,
        )
