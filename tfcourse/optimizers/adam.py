"""Adam and AdamW: momentum plus RMSProp, with bias correction (seeds 002, 003)."""

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

_NO_AMSGRAD = ("tf.compat.v1.train.AdamOptimizer has no AMSGrad option (use "
               "convention='keras' for AMSGrad on raw moments)")
_BETAS = {"beta_1": 0.9, "beta_2": 0.999}

ADAM_CONVENTIONS = {
    "course": Convention(
        "seed 003: W := W - a V_corr / sqrt(S_corr + eps)",
        {"learning_rate": 0.001, **_BETAS, "epsilon": 1e-8, "amsgrad": False},
        {"epsilon": "inside_corrected"},
    ),
    "tf1": Convention(
        "tf.compat.v1.train.AdamOptimizer",
        {"learning_rate": 0.001, **_BETAS, "epsilon": 1e-8, "amsgrad": False},
        {"epsilon": "hat", "beta_powers": "running", "sparse": "summed"},
        {"amsgrad": _NO_AMSGRAD},
    ),
    "keras": Convention(
        "keras.optimizers.Adam",
        {"learning_rate": 0.001, **_BETAS, "epsilon": 1e-7, "amsgrad": False},
        {"epsilon": "hat"},
    ),
    "torch": Convention(
        "torch.optim.Adam",
        {"learning_rate": 0.001, **_BETAS, "epsilon": 1e-8, "amsgrad": False},
        {"epsilon": "outside_corrected"},
    ),
}

ADAMW_CONVENTIONS = {
    "course": Convention(
        "course Adam (seed 003) with decoupled decay w <- w - lr wd w (Loshchilov & Hutter)",
        {**ADAM_CONVENTIONS["course"].defaults, "weight_decay": 0.01},
        {"epsilon": "inside_corrected", "decay_times_learning_rate": True},
    ),
    "tf1": Convention(
        "tf.contrib.opt.AdamWOptimizer (TF 1.15)",
        {**ADAM_CONVENTIONS["tf1"].defaults, "weight_decay": REQUIRED},
        {"epsilon": "hat", "decay_times_learning_rate": False, "beta_powers": "running",
         "sparse": "summed"},
        {"amsgrad": "tf.contrib.opt.AdamWOptimizer has no AMSGrad option"},
    ),
    "keras": Convention(
        "keras.optimizers.AdamW",
        {**ADAM_CONVENTIONS["keras"].defaults, "weight_decay": 0.004},
        {"epsilon": "hat", "decay_times_learning_rate": True},
    ),
    "torch": Convention(
        "torch.optim.AdamW",
        {**ADAM_CONVENTIONS["torch"].defaults, "weight_decay": 0.01},
        {"epsilon": "outside_corrected", "decay_times_learning_rate": True},
    ),
}

_ADAM_DOC_RULE = """
    Update rule (m, v start at 0; t = 1, 2, ... counts updates, not epochs):

        m <- beta_1 m + (1 - beta_1) g               (seed 003's V_dW)
        v <- beta_2 v + (1 - beta_2) g^2             (seed 003's S_dW)
        amsgrad:  v_max <- max(v_max, v), used in place of v below
        m_hat = m / (1 - beta_1^t),  v_hat = v / (1 - beta_2^t)
        course (seeds 002/003):  w <- w - lr m_hat / sqrt(v_hat + epsilon)
        torch (Kingma & Ba Alg. 1): w <- w - lr m_hat / (sqrt(v_hat) + epsilon)
        tf1 / keras ("epsilon hat"): w <- w - lr_t m / (sqrt(v) + epsilon),
                                     lr_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)

    Where they depart: only epsilon's place. They agree when epsilon << |g|;
    with small gradients they drift apart (conventions.md 2.6: at gradient
    scale 1e-4 the course form moves 46% differently from torch's). Putting
    epsilon inside the root acts like an outside epsilon of sqrt(epsilon).

    Rounding (``tfcourse.conventions.DEPARTURES``): TensorFlow's Adam kernel
    computes 1 - beta_2 in float32 as 0.0009999871 for 0.999 (1.3e-5 from
    0.001), so the fused path runs only where that rounding agrees with the
    convention's (always under tf1; under keras, e.g. beta_2 = 1 - 2**-10, not
    0.999): in float32 the keras convention equals ``keras.optimizers.Adam``
    bit for bit. In float64 Keras itself raises float32-rounded betas to the
    power t (2.3e-6 after 24 steps); the keras convention keeps them exact.

    Sparse gradients with repeated ids (see ``tfcourse.conventions.
    SPARSE_GRADIENTS``): course / torch / tf1 sum the repeated rows and
    update every row (tf1 as AdamOptimizer does, with the dense kernel); keras
    adds each repeated row's square to v, as ``keras.optimizers.Adam`` does.
"""


class _AdamFamily(ConventionOptimizer):
    COMPLEMENTS = ("beta_1", "beta_2")
    HYPERPARAMETERS = {"beta_1": unit_interval_closed_open,
                       "beta_2": unit_interval_closed_open,
                       "epsilon": non_negative, "amsgrad": boolean}

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._m, self._v = self.add_optimizer_variables(var_list, ["m", "v"])
        self._v_max = self.add_optimizer_variables(var_list, "v_max") if self.amsgrad else []
        if self.rule.get("beta_powers") == "running":
            self._add_running_powers(var_list)

    def _update(self, g, variable, lr):
        dtype = variable.dtype
        index = self._get_variable_index(variable)
        eps = self._constant(self.epsilon, dtype)
        beta_1_power, beta_2_power = self._powers(variable)
        m, v = self._m[index], self._v[index]
        # m <- m + (g - m)(1 - beta_1): seed 003's beta m + (1 - beta) g in the
        # increment form that Keras, TF's kernel and torch's lerp all compute.
        self.assign_add(m, ops.multiply(ops.subtract(g, m), self._complement(self.beta_1, dtype)))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(g), v),
                                        self._complement(self.beta_2, dtype)))
        if self.amsgrad:
            v_max = self._v_max[index]
            self.assign(v_max, ops.maximum(v_max, v))
            v = v_max
        one = self._constant(1.0, dtype)
        bias_1 = ops.subtract(one, beta_1_power)
        bias_2 = ops.subtract(one, beta_2_power)
        form = self.rule["epsilon"]
        if form == "hat":
            lr_t = ops.divide(ops.multiply(lr, ops.sqrt(bias_2)), bias_1)
            step = ops.divide(ops.multiply(lr_t, m), ops.add(ops.sqrt(v), eps))
        elif form == "outside_corrected":
            den = ops.add(ops.divide(ops.sqrt(v), ops.sqrt(bias_2)), eps)
            step = ops.divide(ops.multiply(ops.divide(lr, bias_1), m), den)
        else:
            m_hat = ops.divide(m, bias_1)
            v_hat = ops.divide(v, bias_2)
            step = ops.divide(ops.multiply(lr, m_hat), ops.sqrt(ops.add(v_hat, eps)))
        self.assign_sub(variable, step)
        self._advance_powers(variable)

    def _fused_kernel(self, sparse=None):
        # No sparse Adam kernel exists: summed (TF1's AdamOptimizer moves every
        # row) runs the dense kernel on the summed gradient; keras (v adds each
        # repeated row's square) runs the generic step.
        if self.rule["epsilon"] != "hat" or sparse in ("keras", "rows", "rows_weights"):
            return None
        return "ResourceApplyAdamWithAmsgrad" if self.amsgrad else "ResourceApplyAdam"

    def _fused_update(self, kernel, g, variable, lr):
        from tfcourse.optimizers import _fused_tf

        dtype = variable.dtype
        index = self._get_variable_index(variable)
        beta_1 = self._constant(self.beta_1, dtype)
        beta_2 = self._constant(self.beta_2, dtype)
        beta_1_power, beta_2_power = self._powers(variable)
        extra = {"vhat": self._v_max[index]} if self.amsgrad else {}
        _fused_tf.apply(
            kernel, var=variable, m=self._m[index], v=self._v[index],
            beta1_power=beta_1_power, beta2_power=beta_2_power, lr=lr,
            beta1=beta_1, beta2=beta_2, epsilon=self._constant(self.epsilon, dtype),
            grad=g, **extra,
        )
        self._advance_powers(variable)


@keras.saving.register_keras_serializable(package="tfcourse")
class Adam(_AdamFamily):
    __doc__ = """Adam (Kingma & Ba 2014), as seeds 002 and 003 write it.

    Momentum's average of the gradients divided by RMSProp's root mean
    square, both bias-corrected because they start at 0 (003, C2W2L08).
""" + _ADAM_DOC_RULE + """
    Args:
        learning_rate: float > 0 or a ``LearningRateSchedule``. Defaults to
            0.001 in every convention.
        beta_1: decay of m, in [0, 1). Defaults to 0.9 (seed 003).
        beta_2: decay of v, in [0, 1). Defaults to 0.999 (seed 003).
        epsilon: >= 0. Defaults: course 1e-8 (seed 003), tf1 1e-8, keras 1e-7,
            torch 1e-8.
        amsgrad: keep the running maximum of the raw v (Reddi et al. 2018, as
            Keras and torch do). Defaults to False; not available under tf1.
        convention: ``"course"`` (default), ``"tf1"``, ``"keras"``, ``"torch"``.
        l2, weight_decay, fused, and the Keras optimizer arguments: see
            ``tfcourse.optimizers.base.ConventionOptimizer``. torch's Adam
            ``weight_decay`` is ``l2`` here; for decoupled decay use AdamW.

    Example:

    >>> import keras, numpy as np
    >>> from tfcourse.optimizers import Adam
    >>> w = keras.Variable(np.zeros(2, "float64"))
    >>> _ = Adam(0.1).apply_gradients([(np.array([2.0, -3.0]), w)])
    >>> np.round(keras.ops.convert_to_numpy(w).astype(float), 6).tolist()   # first step: -lr sign(g)
    [-0.1, 0.1]

    References: seed 003 (C2W2L08), seed 002 (Adam); Kingma & Ba 2014
    (arXiv:1412.6980); conventions.md 2.6.
    """

    CONVENTIONS = ADAM_CONVENTIONS

    def __init__(self, learning_rate=None, beta_1=None, beta_2=None, epsilon=None,
                 amsgrad=None, *, convention="course", l2=0.0, weight_decay=None,
                 fused=None, name="adam", **kwargs):
        super().__init__(
            learning_rate,
            {"beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon, "amsgrad": amsgrad},
            convention=convention, l2=l2, weight_decay=weight_decay, fused=fused,
            name=name, **kwargs,
        )


@keras.saving.register_keras_serializable(package="tfcourse")
class AdamW(_AdamFamily):
    __doc__ = """Adam with decoupled weight decay (Loshchilov & Hutter 2019).

    Seed 002's weight decay ``W <- W - lr (dL/dW + lambda W)`` is *coupled*:
    with Adam the lambda W term passes through the moments and gets rescaled
    per weight. AdamW decays the weights directly, before the Adam step
    (which uses the gradient taken at the pre-decay weights):

        course / keras / torch:  w <- w - lr weight_decay w
        tf1 (contrib AdamWOptimizer): w <- w - weight_decay w   (not times lr)

    then the Adam step of the same convention:
""" + _ADAM_DOC_RULE + """
    Args:
        learning_rate: float > 0 or a ``LearningRateSchedule``. Defaults to 0.001.
        weight_decay: >= 0. Defaults: course 0.01 (the paper's setting as
            torch ships it; the seeds give no default), tf1 required (contrib),
            keras 0.004, torch 0.01.
        beta_1, beta_2, epsilon, amsgrad: as in ``Adam``.
        convention: ``"course"`` (default), ``"tf1"``, ``"keras"``, ``"torch"``.
        l2, fused, and the Keras optimizer arguments: see
            ``tfcourse.optimizers.base.ConventionOptimizer``.

    Example:

    >>> import keras, numpy as np
    >>> from tfcourse.optimizers import AdamW
    >>> w = keras.Variable(np.ones(1, "float64"))
    >>> opt = AdamW(0.1, weight_decay=0.5)        # w = 1 - 0.05, then -0.1 sign(g)
    >>> _ = opt.apply_gradients([(np.array([1.0]), w)])
    >>> np.round(keras.ops.convert_to_numpy(w).astype(float), 6).tolist()
    [0.85]

    References: Loshchilov & Hutter 2019 (arXiv:1711.05101); seed 002
    (weight decay); conventions.md 2.8.
    """

    CONVENTIONS = ADAMW_CONVENTIONS

    def __init__(self, learning_rate=None, weight_decay=None, beta_1=None, beta_2=None,
                 epsilon=None, amsgrad=None, *, convention="course", l2=0.0, fused=None,
                 name="adamw", **kwargs):
        super().__init__(
            learning_rate,
            {"beta_1": beta_1, "beta_2": beta_2, "epsilon": epsilon, "amsgrad": amsgrad},
            convention=convention, l2=l2, weight_decay=weight_decay, fused=fused,
            name=name, **kwargs,
        )
