"""Nadam: Adam with Nesterov momentum (seed 000 lists it beside Adam)."""

from __future__ import annotations

import keras
from keras import ops

from tfcourse.optimizers.base import (
    Convention,
    ConventionOptimizer,
    non_negative,
    positive,
    unit_interval_closed_open,
)

_BETAS = {"beta_1": 0.9, "beta_2": 0.999}

CONVENTIONS = {
    "course": Convention(
        "Dozat 2016, Algorithm 2, with the course Adam's epsilon (seed 003)",
        {"learning_rate": 0.002, **_BETAS, "epsilon": 1e-8, "momentum_decay": 0.004},
        {"form": "dozat", "epsilon": "inside_corrected"},
    ),
    "tf1": Convention(
        "tf.contrib.opt.NadamOptimizer (TF 1.15): ApplyAdam(use_nesterov=True)",
        {"learning_rate": 0.001, **_BETAS, "epsilon": 1e-8, "momentum_decay": 0.0},
        {"form": "adam_nesterov", "epsilon": "hat", "beta_powers": "running",
         "sparse": "rows_weights"},
        {"momentum_decay": "the contrib NadamOptimizer has no momentum schedule"},
    ),
    "keras": Convention(
        "keras.optimizers.Nadam",
        {"learning_rate": 0.001, **_BETAS, "epsilon": 1e-7, "momentum_decay": 1.0},
        {"form": "dozat", "epsilon": "outside_corrected"},
    ),
    "torch": Convention(
        "torch.optim.NAdam",
        {"learning_rate": 0.002, **_BETAS, "epsilon": 1e-8, "momentum_decay": 0.004},
        {"form": "dozat", "epsilon": "outside_corrected"},
    ),
}


@keras.saving.register_keras_serializable(package="tfcourse")
class Nadam(ConventionOptimizer):
    """Nadam (Dozat 2016): Adam whose momentum looks ahead like NAG.

    Seed 000 names Nadam as the union of NAG and Adam ("이 두 종류의 장점을
    합한 Adam, Nadam") without a formula; the course convention is Dozat's
    Algorithm 2 with the course Adam's epsilon inside the root.

    Update rule, Dozat form (course, keras, torch). m, v start at 0; t = 1, 2, ...:

        mu_t = beta_1 (1 - 0.5 * 0.96^(t * momentum_decay))      (momentum schedule)
        P_t  = mu_1 mu_2 ... mu_t
        m <- beta_1 m + (1 - beta_1) g;   v <- beta_2 v + (1 - beta_2) g^2
        m_hat = mu_{t+1} m / (1 - P_t mu_{t+1}) + (1 - mu_t) g / (1 - P_t)
        v_hat = v / (1 - beta_2^t)
        course:        w <- w - lr m_hat / sqrt(v_hat + epsilon)
        keras / torch: w <- w - lr m_hat / (sqrt(v_hat) + epsilon)

    tf1 (the TF 1.15 contrib NadamOptimizer, Adam's kernel with
    ``use_nesterov=True``; no momentum schedule):

        w <- w - lr_t (beta_1 m + (1 - beta_1) g) / (sqrt(v) + epsilon),
        lr_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)

    Where they depart: Keras' schedule uses 0.96^t (momentum_decay = 1), so
    mu_t reaches beta_1 within ~100 steps; Dozat and torch use 0.96^(t/250)
    (momentum_decay = 0.004), which takes ~10^4 steps (conventions.md 2.7).

    Args:
        learning_rate: float > 0 or a ``LearningRateSchedule``. Defaults:
            course 0.002 (Dozat), tf1 0.001, keras 0.001, torch 0.002.
        beta_1, beta_2: in [0, 1). Default to 0.9 and 0.999.
        epsilon: >= 0. Defaults: 1e-8; keras 1e-7.
        momentum_decay: psi > 0 in the schedule above (torch's name).
            Defaults: course and torch 0.004, keras 1.0; not available under tf1.
        convention: ``"course"`` (default), ``"tf1"``, ``"keras"``, ``"torch"``.
        l2, weight_decay, fused, and the Keras optimizer arguments: see
            ``tfcourse.optimizers.base.ConventionOptimizer``.

    Example:

    >>> import keras, numpy as np
    >>> from tfcourse.optimizers import Nadam
    >>> w = keras.Variable(np.zeros(1, "float64"))
    >>> _ = Nadam(0.1, convention="tf1").apply_gradients([(np.array([1.0]), w)])
    >>> np.round(keras.ops.convert_to_numpy(w).astype(float), 6).tolist()   # lr * 1.9 g / |g|
    [-0.19]

    References: Dozat 2016, "Incorporating Nesterov Momentum into Adam";
    seed 000 (optimizer map); conventions.md 2.7.
    """

    CONVENTIONS = CONVENTIONS
    COMPLEMENTS = ("beta_1", "beta_2")
    HYPERPARAMETERS = {"beta_1": unit_interval_closed_open,
                       "beta_2": unit_interval_closed_open,
                       "epsilon": non_negative, "momentum_decay": positive}

    def __init__(self, learning_rate=None, beta_1=None, beta_2=None, epsilon=None,
                 momentum_decay=None, *, convention="course", l2=0.0, weight_decay=None,
                 fused=None, name="nadam", **kwargs):
        super().__init__(
            learning_rate,
            {"beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon,
             "momentum_decay": momentum_decay},
            convention=convention, l2=l2, weight_decay=weight_decay, fused=fused,
            name=name, **kwargs,
        )

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._m, self._v = self.add_optimizer_variables(var_list, ["m", "v"])
        self._mu_products = []
        if self.rule.get("beta_powers") == "running":
            self._add_running_powers(var_list)
        if self.rule["form"] == "dozat":
            # One running product per variable, as torch keeps it per parameter.
            for variable in var_list:
                self._mu_products.append(self.add_variable(
                    shape=(), dtype=variable.dtype, initializer="ones",
                    name=f"{self._var_name(variable)}_mu_product",
                ))

    @staticmethod
    def _var_name(variable):
        return getattr(variable, "path", getattr(variable, "name", "variable")).replace("/", "_")

    def _mu(self, t, dtype):
        decay = self._constant(0.96, dtype)
        psi = self._constant(self.momentum_decay, dtype)
        half = self._constant(0.5, dtype)
        one = self._constant(1.0, dtype)
        return ops.multiply(self._constant(self.beta_1, dtype),
                            ops.subtract(one, ops.multiply(half, ops.power(decay, t * psi))))

    def _fused_kernel(self, sparse=None):
        # contrib Nadam's sparse apply (m, v on every row, weights on the
        # touched rows) has no kernel: the generic step computes it.
        if self.rule["form"] != "adam_nesterov" or sparse is not None:
            return None
        return "ResourceApplyAdam"

    def _fused_update(self, kernel, g, variable, lr):
        from tfcourse.optimizers import _fused_tf

        dtype = variable.dtype
        index = self._get_variable_index(variable)
        beta_1 = self._constant(self.beta_1, dtype)
        beta_2 = self._constant(self.beta_2, dtype)
        beta_1_power, beta_2_power = self._powers(variable)
        _fused_tf.apply(
            "ResourceApplyAdam", var=variable, m=self._m[index], v=self._v[index],
            beta1_power=beta_1_power, beta2_power=beta_2_power, lr=lr,
            beta1=beta_1, beta2=beta_2, epsilon=self._constant(self.epsilon, dtype),
            grad=g, use_nesterov=True,
        )
        self._advance_powers(variable)

    def _update(self, g, variable, lr):
        dtype = variable.dtype
        index = self._get_variable_index(variable)
        t = self._step(dtype)
        one = self._constant(1.0, dtype)
        beta_1 = self._constant(self.beta_1, dtype)
        beta_2 = self._constant(self.beta_2, dtype)
        eps = self._constant(self.epsilon, dtype)
        m, v = self._m[index], self._v[index]
        one_minus_beta_1 = self._complement(self.beta_1, dtype)
        self.assign(m, ops.add(ops.multiply(beta_1, m), ops.multiply(one_minus_beta_1, g)))
        self.assign(v, ops.add(ops.multiply(beta_2, v),
                               ops.multiply(self._complement(self.beta_2, dtype),
                                            ops.square(g))))
        if self.rule["form"] == "adam_nesterov":
            beta_1_power, beta_2_power = self._powers(variable)
            bias_1 = ops.subtract(one, beta_1_power)
            bias_2 = ops.subtract(one, beta_2_power)
            lr_t = ops.divide(ops.multiply(lr, ops.sqrt(bias_2)), bias_1)
            m_bar = ops.add(ops.multiply(beta_1, m), ops.multiply(one_minus_beta_1, g))
            self.assign_sub(variable, ops.divide(ops.multiply(lr_t, m_bar),
                                                 ops.add(ops.sqrt(v), eps)))
            self._advance_powers(variable)
            return
        bias_2 = ops.subtract(one, ops.power(beta_2, t))
        mu_t = self._mu(t, dtype)
        mu_next = self._mu(t + 1.0, dtype)
        product = self._mu_products[index]
        self.assign(product, ops.multiply(product, mu_t))
        # lr * m_hat with its coefficients folded into two scalars: two passes
        # over the weights instead of five (the same formula; float rounding
        # differs in the last bit)
        m_coefficient = ops.divide(ops.multiply(lr, mu_next),
                                   ops.subtract(one, ops.multiply(product, mu_next)))
        g_coefficient = ops.divide(ops.multiply(lr, ops.subtract(one, mu_t)),
                                   ops.subtract(one, product))
        lr_m_hat = ops.add(ops.multiply(m_coefficient, m), ops.multiply(g_coefficient, g))
        v_hat = ops.divide(v, bias_2)
        if self.rule["epsilon"] == "inside_corrected":
            den = ops.sqrt(ops.add(v_hat, eps))
        else:
            den = ops.add(ops.sqrt(v_hat), eps)
        self.assign_sub(variable, ops.divide(lr_m_hat, den))
