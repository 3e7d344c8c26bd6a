"""Adagrad: a per-weight learning rate shrinking with the squared gradients (seed 002)."""

from __future__ import annotations

import keras
from keras import ops

from tfcourse._validation import check_positive
from tfcourse.optimizers.base import (
    REQUIRED,
    Convention,
    ConventionOptimizer,
    non_negative,
    slot_initializer,
)

_NO_LR_DECAY = "only torch.optim.Adagrad has `lr_decay`"

CONVENTIONS = {
    "course": Convention(
        "seed 002: theta <- theta - eta / sqrt(G + eps) * g",
        {"learning_rate": 0.01, "epsilon": 1e-8, "initial_accumulator_value": 0.0,
         "lr_decay": 0.0},
        {"epsilon": "inside"},
        {"lr_decay": _NO_LR_DECAY},
    ),
    "tf1": Convention(
        "tf.compat.v1.train.AdagradOptimizer",
        {"learning_rate": REQUIRED, "epsilon": 0.0, "initial_accumulator_value": 0.1,
         "lr_decay": 0.0},
        {"epsilon": "inside"},
        {"epsilon": "tf.compat.v1.train.AdagradOptimizer has no epsilon (its "
                    "accumulator starts > 0 instead)",
         "lr_decay": _NO_LR_DECAY},
    ),
    "keras": Convention(
        "keras.optimizers.Adagrad",
        {"learning_rate": 0.001, "epsilon": 1e-7, "initial_accumulator_value": 0.1,
         "lr_decay": 0.0},
        {"epsilon": "inside"},
        {"lr_decay": _NO_LR_DECAY},
    ),
    "torch": Convention(
        "torch.optim.Adagrad",
        {"learning_rate": 0.01, "epsilon": 1e-10, "initial_accumulator_value": 0.0,
         "lr_decay": 0.0},
        {"epsilon": "outside"},
    ),
}


@keras.saving.register_keras_serializable(package="tfcourse")
class Adagrad(ConventionOptimizer):
    """Adagrad (Duchi et al. 2011), as seed 002 writes it.

    Weights that have moved a lot get smaller steps, rarely-updated ones
    larger; no step-size decay is needed, but the steps only ever shrink
    (seed 002: "학습을 계속하면 Step Size가 너무 줄어 안 움직임", the reason
    for RMSProp and AdaDelta).

    Update rule (G starts at ``initial_accumulator_value``; t = 1, 2, ...):

        G <- G + g * g                               (element-wise)
        course / keras:  w <- w - lr * g / sqrt(G + epsilon)    (epsilon inside)
        tf1:             w <- w - lr * g / sqrt(G)              (no epsilon, G_0 = 0.1)
        torch:           w <- w - lr_t * g / (sqrt(G) + epsilon),
                         lr_t = lr / (1 + (t - 1) * lr_decay)   (epsilon outside)

    Where they depart: epsilon inside (course, keras), absent (tf1) or
    outside the square root (torch); G starts at 0 (course, torch) or 0.1
    (tf1, keras).

    Args:
        learning_rate: float > 0 or a ``LearningRateSchedule``. Defaults:
            course 0.01 (seed 002), tf1 required, keras 0.001, torch 0.01.
        epsilon: >= 0. Defaults: course 1e-8 (seed 002 gives 1e-4 to 1e-8),
            keras 1e-7, torch 1e-10; not available under tf1.
        initial_accumulator_value: G_0 >= 0 (> 0 under tf1). Defaults: course
            0, tf1 0.1, keras 0.1, torch 0.
        lr_decay: torch only, >= 0. Defaults to 0.
        convention: ``"course"`` (default), ``"tf1"``, ``"keras"``, ``"torch"``.
        l2, weight_decay, fused, and the Keras optimizer arguments: see
            ``tfcourse.optimizers.base.ConventionOptimizer``.

    Example:

    >>> import keras, numpy as np
    >>> from tfcourse.optimizers import Adagrad
    >>> w = keras.Variable(np.zeros(2, "float32"))
    >>> _ = Adagrad(0.5).apply_gradients([(np.array([3.0, -4.0], "float32"), w)])
    >>> np.round(keras.ops.convert_to_numpy(w).astype(float), 6).tolist()   # -0.5 * sign(g)
    [-0.5, 0.5]

    References: seed 002 (Adaptive Gradient); Duchi, Hazan & Singer 2011;
    conventions.md 2.3.
    """

    CONVENTIONS = CONVENTIONS
    HYPERPARAMETERS = {"epsilon": non_negative, "initial_accumulator_value": non_negative,
                       "lr_decay": non_negative}

    def __init__(self, learning_rate=None, epsilon=None, initial_accumulator_value=None,
                 lr_decay=None, *, convention="course", l2=0.0, weight_decay=None,
                 fused=None, name="adagrad", **kwargs):
        super().__init__(
            learning_rate,
            {"epsilon": epsilon, "initial_accumulator_value": initial_accumulator_value,
             "lr_decay": lr_decay},
            convention=convention, l2=l2, weight_decay=weight_decay, fused=fused,
            name=name, **kwargs,
        )
        if self.convention == "tf1":
            check_positive(
                "initial_accumulator_value", self.initial_accumulator_value,
                hint="tf.compat.v1.train.AdagradOptimizer divides by sqrt(G) with no "
                     "epsilon, so G must start above 0",
            )

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator",
            initializer=slot_initializer(self.initial_accumulator_value),
        )

    def _update(self, g, variable, lr):
        dtype = variable.dtype
        G = self._accumulators[self._get_variable_index(variable)]
        self.assign_add(G, ops.square(g))
        eps = self._constant(self.epsilon, dtype)
        if self.rule["epsilon"] == "inside":
            denominator = ops.sqrt(ops.add(G, eps)) if self.epsilon else ops.sqrt(G)
        else:
            denominator = ops.add(ops.sqrt(G), eps)
        if self.lr_decay:
            decay = self._constant(self.lr_decay, dtype)
            lr = ops.divide(lr, ops.add(1.0, ops.multiply(self._step(dtype) - 1.0, decay)))
        self.assign_sub(variable, ops.divide(ops.multiply(lr, g), denominator))

    def _sparse_update(self):
        # A row with no gradient keeps G and w in the dense rule too, so TF1's
        # and torch's sparse Adagrad (touched rows only) is the summed rule
        # wherever that is finite (G = 0 with epsilon = 0 gives 0/0 there).
        return "keras" if self.convention == "keras" else "rows"

    def _fused_kernel(self, sparse=None):
        if self.lr_decay or sparse == "keras":
            # keras: G adds each repeated row's square; no kernel does that.
            return None
        if self.rule["epsilon"] == "outside":
            kernel = "ResourceApplyAdagradV2"
        else:
            kernel = None if self.epsilon else "ResourceApplyAdagrad"
        if kernel is not None and sparse is not None:
            kernel = kernel.replace("ResourceApply", "ResourceSparseApply")
        return kernel

    def _fused_update(self, kernel, g, variable, lr):
        from tfcourse.optimizers import _fused_tf

        G = self._accumulators[self._get_variable_index(variable)]
        extra = {"epsilon": self._constant(self.epsilon, variable.dtype)} if kernel.endswith("V2") else {}
        _fused_tf.apply(kernel, var=variable, accum=G, lr=lr, grad=g, update_slots=True, **extra)
