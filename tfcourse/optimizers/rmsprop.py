"""RMSProp: divide by a running root mean square of the gradients (seeds 002, 003)."""

from __future__ import annotations

import keras
from keras import ops

from tfcourse.optimizers.base import (
    REQUIRED,
    Convention,
    ConventionOptimizer,
    boolean,
    non_negative,
    unit_interval_closed_open,
)

_DEFAULT_OPTIONS = {"momentum": 0.0, "centered": False}

CONVENTIONS = {
    "course": Convention(
        "seed 003: S = b2 S + (1 - b2) dW^2; W := W - a dW / sqrt(S + eps)",
        {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-8, **_DEFAULT_OPTIONS},
        {"epsilon": "inside", "initial_mean_square": 0.0, "momentum": "learning_rate_inside"},
    ),
    "tf1": Convention(
        "tf.compat.v1.train.RMSPropOptimizer",
        {"learning_rate": REQUIRED, "rho": 0.9, "epsilon": 1e-10, **_DEFAULT_OPTIONS},
        {"epsilon": "inside", "initial_mean_square": 1.0, "momentum": "learning_rate_inside"},
    ),
    "keras": Convention(
        "keras.optimizers.RMSprop",
        {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7, **_DEFAULT_OPTIONS},
        {"epsilon": "inside", "initial_mean_square": 0.0, "momentum": "learning_rate_inside"},
    ),
    "torch": Convention(
        "torch.optim.RMSprop",
        {"learning_rate": 0.01, "rho": 0.99, "epsilon": 1e-8, **_DEFAULT_OPTIONS},
        {"epsilon": "outside", "initial_mean_square": 0.0,
         "momentum": "learning_rate_outside"},
    ),
}


@keras.saving.register_keras_serializable(package="tfcourse")
class RMSProp(ConventionOptimizer):
    """RMSProp (Hinton's lecture 6e), as seeds 002 and 003 write it.

    Adagrad's accumulator replaced by an exponentially weighted average, so
    the step size no longer shrinks to nothing; it damps the directions that
    oscillate (003, C2W2L07).

    Update rule (s starts at 0, or 1 under tf1; v and m_g start at 0):

        s <- rho s + (1 - rho) g^2
        d =  s                       (centered: m_g <- rho m_g + (1 - rho) g; d = s - m_g^2)
        course / tf1 / keras:  den = sqrt(d + epsilon)          (epsilon inside)
        torch:                 den = sqrt(d) + epsilon          (epsilon outside)
        momentum = 0:  w <- w - lr g / den
        momentum > 0:  course / tf1 / keras: v <- mu v + lr g / den;  w <- w - v
                       torch:                v <- mu v + g / den;     w <- w - lr v

    Where they depart: tf1 starts s at **1** (steps are tiny while |g| << 1;
    conventions.md 2.4); torch puts epsilon outside the root and the learning
    rate outside the momentum buffer (different once the rate changes); the
    defaults differ (rho 0.99 in torch, epsilon 1e-10 / 1e-7 / 1e-8).

    Args:
        learning_rate: float > 0 or a ``LearningRateSchedule``. Defaults:
            course 0.001, tf1 required, keras 0.001, torch 0.01.
        rho: decay of s (beta_2 in seed 003, gamma in 002, TF1's ``decay``,
            torch's ``alpha``), in [0, 1). Defaults: 0.9; torch 0.99.
        epsilon: >= 0. Defaults: course 1e-8 (seed 003), tf1 1e-10, keras
            1e-7, torch 1e-8.
        momentum: mu in [0, 1). Defaults to 0 (not in the seeds; the course
            convention uses the TF/Keras placement, learning rate inside).
        centered: divide by the centered second moment. Defaults to False.
        convention: ``"course"`` (default), ``"tf1"``, ``"keras"``, ``"torch"``.
        l2, weight_decay, fused, and the Keras optimizer arguments: see
            ``tfcourse.optimizers.base.ConventionOptimizer``.

    Example:

    >>> import keras, numpy as np
    >>> from tfcourse.optimizers import RMSProp
    >>> w = keras.Variable(np.zeros(1, "float32"))
    >>> opt = RMSProp(0.1, rho=0.75, epsilon=0.0)       # s = 0.25 g^2
    >>> _ = opt.apply_gradients([(np.array([2.0], "float32"), w)])
    >>> np.round(keras.ops.convert_to_numpy(w).astype(float), 6).tolist()   # -0.1 * 2 / 1
    [-0.2]

    References: seed 003 (C2W2L07), seed 002 (RMSProp); Tieleman & Hinton
    2012, lecture 6.5; conventions.md 2.4.
    """

    CONVENTIONS = CONVENTIONS
    COMPLEMENTS = ("rho",)
    HYPERPARAMETERS = {"rho": unit_interval_closed_open, "epsilon": non_negative,
                       "momentum": unit_interval_closed_open, "centered": boolean}
    LEGACY_KEYWORDS = {
        "decay": "TF1's RMSPropOptimizer `decay` is `rho` here (Keras 2's learning-rate "
                 "`decay` is a LearningRateSchedule).",
        "alpha": "Use `rho=` (torch's RMSprop `alpha`).",
    }

    def __init__(self, learning_rate=None, rho=None, momentum=None, epsilon=None,
                 centered=None, *, convention="course", l2=0.0, weight_decay=None,
                 fused=None, name="rmsprop", **kwargs):
        super().__init__(
            learning_rate,
            {"rho": rho, "momentum": momentum, "epsilon": epsilon, "centered": centered},
            convention=convention, l2=l2, weight_decay=weight_decay, fused=fused,
            name=name, **kwargs,
        )

    def _has_momentum_slot(self):
        # The fused kernels always keep a momentum slot (mu = 0 gives the same rule).
        return self.momentum > 0 or (self.fused is not False and self._fused_kernel() is not None)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        from tfcourse.optimizers.base import slot_initializer

        self._mean_squares = self.add_optimizer_variables(
            var_list, "mean_square",
            initializer=slot_initializer(self.rule["initial_mean_square"]),
        )
        self._momentums = (
            self.add_optimizer_variables(var_list, "momentum")
            if self._has_momentum_slot() else []
        )
        self._mean_gradients = (
            self.add_optimizer_variables(var_list, "mean_gradient") if self.centered else []
        )

    def _update(self, g, variable, lr):
        dtype = variable.dtype
        index = self._get_variable_index(variable)
        rho = self._constant(self.rho, dtype)
        one_minus_rho = self._complement(self.rho, dtype)
        eps = self._constant(self.epsilon, dtype)
        s = self._mean_squares[index]
        self.assign(s, ops.add(ops.multiply(rho, s), ops.multiply(one_minus_rho, ops.square(g))))
        d = s
        if self.centered:
            m_g = self._mean_gradients[index]
            self.assign(m_g, ops.add(ops.multiply(rho, m_g), ops.multiply(one_minus_rho, g)))
            d = ops.subtract(s, ops.square(m_g))
        if self.rule["epsilon"] == "inside":
            den = ops.sqrt(ops.add(d, eps))
        else:
            den = ops.add(ops.sqrt(d), eps)
        if self.momentum > 0:
            mu = self._constant(self.momentum, dtype)
            v = self._momentums[index]
            if self.rule["momentum"] == "learning_rate_inside":
                self.assign(v, ops.add(ops.multiply(mu, v), ops.divide(ops.multiply(lr, g), den)))
                self.assign_sub(variable, v)
            else:
                self.assign(v, ops.add(ops.multiply(mu, v), ops.divide(g, den)))
                self.assign_sub(variable, ops.multiply(lr, v))
        else:
            self.assign_sub(variable, ops.divide(ops.multiply(lr, g), den))

    def _fused_kernel(self, sparse=None):
        if self.rule["epsilon"] != "inside" or self.rule["momentum"] != "learning_rate_inside":
            return None
        if sparse == "keras":
            return None  # Keras' s adds each repeated row's square; no kernel does that
        kernel = "ResourceApplyCenteredRMSProp" if self.centered else "ResourceApplyRMSProp"
        if sparse == "rows":  # TF1: the sparse kernel on the summed rows
            kernel = kernel.replace("ResourceApply", "ResourceSparseApply")
        return kernel

    def _fused_update(self, kernel, g, variable, lr):
        from tfcourse.optimizers import _fused_tf

        index = self._get_variable_index(variable)
        dtype = variable.dtype
        extra = {"mg": self._mean_gradients[index]} if self.centered else {}
        _fused_tf.apply(
            kernel, var=variable, ms=self._mean_squares[index],
            mom=self._momentums[index], lr=lr, rho=self._constant(self.rho, dtype),
            momentum=self._constant(self.momentum, dtype),
            epsilon=self._constant(self.epsilon, dtype), grad=g, **extra,
        )
