"""Momentum (heavy ball) and Nesterov accelerated gradient, seeds 001-003.

The course writes momentum two ways: as an exponentially weighted average of
the gradients (003, C2W2L06: ``V_dW = b V_dW + (1 - b) dW; W := W - a V_dW``),
which is this package's ``course`` convention, and in the classical form with
the learning rate inside the buffer (001/002: ``v <- a v - eta dL/dW;
W <- W + v``), which is Keras'. Nesterov's look-ahead (001/002, NAG) takes the
gradient at ``theta - gamma v``.

Where the learning rate enters the buffer matters once it changes between
steps (conventions.md 2.2): with a constant rate, TF1, Keras and torch are the
same algorithm, and the course EWA with rate ``alpha`` equals them with rate
``alpha (1 - beta)``.
"""

from __future__ import annotations

import keras
from keras import ops

from tfcourse.optimizers.base import (
    REQUIRED,
    Convention,
    ConventionOptimizer,
    boolean,
    unit_interval_closed_open,
)

_NO_DAMPENING = "only torch.optim.SGD has `dampening`"
_NO_BIAS_CORRECTION = ("only the course convention has `bias_correction` (seed 003's "
                       "v / (1 - beta^t)); {} has none")

MOMENTUM_CONVENTIONS = {
    "course": Convention(
        "seed 003: V = b V + (1 - b) dW; W := W - a V",
        {"learning_rate": 0.01, "momentum": 0.9, "dampening": 0.0, "bias_correction": False},
        {"velocity": "ewa"},
        {"dampening": _NO_DAMPENING},
    ),
    "tf1": Convention(
        "tf.compat.v1.train.MomentumOptimizer",
        {"learning_rate": REQUIRED, "momentum": REQUIRED, "dampening": 0.0,
         "bias_correction": False},
        {"velocity": "accumulate"},
        {"dampening": _NO_DAMPENING,
         "bias_correction": _NO_BIAS_CORRECTION.format("tf.compat.v1.train.MomentumOptimizer")},
    ),
    "keras": Convention(
        "keras.optimizers.SGD",
        {"learning_rate": 0.01, "momentum": 0.0, "dampening": 0.0, "bias_correction": False},
        {"velocity": "learning_rate_inside"},
        {"dampening": _NO_DAMPENING,
         "bias_correction": _NO_BIAS_CORRECTION.format("keras.optimizers.SGD")},
    ),
    "torch": Convention(
        "torch.optim.SGD",
        {"learning_rate": 0.001, "momentum": 0.0, "dampening": 0.0, "bias_correction": False},
        {"velocity": "accumulate"},
        {"bias_correction": _NO_BIAS_CORRECTION.format("torch.optim.SGD")},
    ),
}

NESTEROV_CONVENTIONS = {
    "course": Convention(
        "seed 002 NAG: v = gamma v + eta grad J(theta - gamma v); theta = theta - v",
        {"learning_rate": 0.01, "momentum": 0.9},
        {"velocity": "learning_rate_inside"},
    ),
    "tf1": Convention(
        "tf.compat.v1.train.MomentumOptimizer(use_nesterov=True)",
        {"learning_rate": REQUIRED, "momentum": REQUIRED},
        {"velocity": "accumulate"},
    ),
    "keras": Convention(
        "keras.optimizers.SGD(nesterov=True)",
        {"learning_rate": 0.01, "momentum": 0.0},
        {"velocity": "learning_rate_inside"},
    ),
    "torch": Convention(
        "torch.optim.SGD(nesterov=True)",
        {"learning_rate": 0.001, "momentum": REQUIRED},
        {"velocity": "accumulate"},
    ),
}


def _dampening(name, value):
    from tfcourse._validation import check_range

    return check_range(name, value, 0.0, 1.0)


class _MomentumFamily(ConventionOptimizer):
    NESTEROV = False

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")

    def _update(self, g, variable, lr):
        dtype = variable.dtype
        mu = self._constant(self.momentum, dtype)
        v = self._velocities[self._get_variable_index(variable)]
        velocity = self.rule["velocity"]
        if velocity == "ewa":
            self.assign(v, ops.add(ops.multiply(mu, v),
                                   ops.multiply(self._complement(self.momentum, dtype), g)))
            if getattr(self, "bias_correction", False):
                # Seed 003: v / (1 - beta^t) in the step; v itself stays the plain EWA.
                bias = ops.subtract(self._constant(1.0, dtype),
                                    ops.power(mu, self._step(dtype)))
                self.assign_sub(variable, ops.multiply(lr, ops.divide(v, bias)))
            else:
                self.assign_sub(variable, ops.multiply(lr, v))
        elif velocity == "learning_rate_inside":
            self.assign(v, ops.subtract(ops.multiply(mu, v), ops.multiply(lr, g)))
            if self.NESTEROV:
                self.assign_add(
                    variable, ops.subtract(ops.multiply(mu, v), ops.multiply(lr, g))
                )
            else:
                self.assign_add(variable, v)
        else:
            scale = 1.0
            if getattr(self, "dampening", 0.0):
                # torch starts the buffer at b_1 = g (no dampening on step 1).
                first = ops.equal(self.iterations, 0)
                scale = ops.where(first, self._constant(1.0, dtype),
                                  self._constant(1.0 - self.dampening, dtype))
            self.assign(v, ops.add(ops.multiply(mu, v), ops.multiply(scale, g)))
            if self.NESTEROV:
                self.assign_sub(variable, ops.multiply(lr, ops.add(g, ops.multiply(mu, v))))
            else:
                self.assign_sub(variable, ops.multiply(lr, v))

    def _fused_kernel(self, sparse=None):
        if getattr(self, "dampening", 0.0):
            return None
        kernel = {"accumulate": "ResourceApplyMomentum",
                  "learning_rate_inside": "ResourceApplyKerasMomentum"}.get(self.rule["velocity"])
        if kernel is not None and sparse == "rows":
            # TF1's MomentumOptimizer: ResourceSparseApplyMomentum on the summed rows.
            return kernel.replace("ResourceApply", "ResourceSparseApply")
        # summed (torch, course NAG) and keras (Keras densifies the IndexedSlices
        # in m * mu - g * lr): the dense kernel on the summed gradient.
        return kernel

    def _fused_update(self, kernel, g, variable, lr):
        from tfcourse.optimizers import _fused_tf

        v = self._velocities[self._get_variable_index(variable)]
        _fused_tf.apply(kernel, var=variable, accum=v, lr=lr, grad=g,
                        momentum=self._constant(self.momentum, variable.dtype),
                        use_nesterov=self.NESTEROV)


@keras.saving.register_keras_serializable(package="tfcourse")
class Momentum(_MomentumFamily):
    """Gradient descent with momentum (seed 003 C2W2L06; seeds 001/002).

    Use it when plain gradient descent zig-zags across a narrow valley: the
    velocity averages the oscillating directions out.

    Update rule by convention (g is the gradient, v starts at 0, t = 1, 2, ...):

        course (EWA, seed 003):   v <- beta v + (1 - beta) g;  w <- w - lr v
        tf1 (MomentumOptimizer):  a <- mu a + g;               w <- w - lr a
        keras (SGD(momentum)):    v <- mu v - lr g;            w <- w + v
        torch (SGD(momentum)):    b <- mu b + (1 - dampening) g, with b_1 = g;
                                  w <- w - lr b

    Course option ``bias_correction=True`` (seed 003, C2W2L05/L06: "v_t 대신
    v_t / (1 - beta^t)"): the step uses the corrected average,
    ``w <- w - lr v / (1 - beta^t)`` (v itself stays the plain EWA), so the
    first steps are not shrunk by v starting at 0. The seed adds that almost
    nobody does this for momentum, because after ~10 steps at beta = 0.9 the
    correction is gone (1 - 0.9^10 = 0.65, 1 - 0.9^50 = 0.995).

    ``momentum`` is beta in the course rule and mu in the others. Where they
    depart: the learning rate sits outside the buffer in course/tf1/torch and
    inside it in keras, so keras differs as soon as the rate changes between
    steps; course(lr=alpha) equals tf1/torch(lr=alpha (1 - beta)) for any
    schedule; torch's ``dampening=beta`` is not the course EWA (b_1 = g).

    Args:
        learning_rate: float > 0 or a ``LearningRateSchedule``. Defaults:
            course 0.01, tf1 required, keras 0.01, torch 0.001.
        momentum: beta (course) or mu, in [0, 1). Defaults: course 0.9 (seed
            003), tf1 required, keras 0.0, torch 0.0 (their SGD defaults).
        dampening: torch only, in [0, 1]. Defaults to 0.
        bias_correction: course only: divide v by 1 - beta^t in the step
            (seed 003). Defaults to False, as in the seed's own momentum.
        convention: ``"course"`` (default), ``"tf1"``, ``"keras"``, ``"torch"``.
        l2, weight_decay, fused, and the Keras optimizer arguments: see
            ``tfcourse.optimizers.base.ConventionOptimizer``.

    Example:

    >>> import keras, numpy as np
    >>> from tfcourse.optimizers import Momentum
    >>> w = keras.Variable(np.zeros(2, "float32"))
    >>> opt = Momentum(1.0, momentum=0.9)            # course: v = 0.1 g
    >>> _ = opt.apply_gradients([(np.ones(2, "float32"), w)])
    >>> np.round(keras.ops.convert_to_numpy(w).astype(float), 6).tolist()
    [-0.1, -0.1]

    References: seed 003 (C2W2L06, momentum as an EWA), seed 002 (momentum,
    gamma about 0.9), seed 001 (classical momentum); Polyak 1964;
    conventions.md 2.2.
    """

    CONVENTIONS = MOMENTUM_CONVENTIONS
    HYPERPARAMETERS = {"momentum": unit_interval_closed_open, "dampening": _dampening,
                       "bias_correction": boolean}

    def __init__(self, learning_rate=None, momentum=None, dampening=None,
                 bias_correction=None, *, convention="course", l2=0.0, weight_decay=None,
                 fused=None, name="momentum", **kwargs):
        super().__init__(learning_rate, {"momentum": momentum, "dampening": dampening,
                                         "bias_correction": bias_correction},
                         convention=convention, l2=l2, weight_decay=weight_decay,
                         fused=fused, name=name, **kwargs)


@keras.saving.register_keras_serializable(package="tfcourse")
class Nesterov(_MomentumFamily):
    """Nesterov accelerated gradient, NAG (seeds 001 and 002).

    Momentum that looks ahead: the gradient is taken where the velocity is
    about to carry the weights, which brakes before overshooting.

    Course rule (seed 002): ``v_t = gamma v_{t-1} + eta grad J(theta -
    gamma v_{t-1}); theta = theta - v_t``. Keras computes the gradient at the
    variable's value, so the variable holds the look-ahead point
    ``phi = theta - gamma v`` (equal to theta at the start, v_0 = 0); in phi the
    seed's rule reads, exactly:

        course:  v <- gamma v + lr g;  w <- w - (gamma v + lr g)

    which is Keras' form with v_keras = -v. The other conventions:

        tf1 (MomentumOptimizer(use_nesterov=True)): a <- mu a + g; w <- w - lr (g + mu a)
        keras (SGD(nesterov=True)):                 v <- mu v - lr g; w <- w + mu v - lr g
        torch (SGD(nesterov=True)):                 b <- mu b + g;    w <- w - lr (g + mu b)

    course and keras are the same rule (learning rate inside the buffer);
    tf1 and torch are the same rule (outside). The two pairs agree only while
    the learning rate is constant.

    Args:
        learning_rate: float > 0 or a ``LearningRateSchedule``. Defaults:
            course 0.01, tf1 required, keras 0.01, torch 0.001.
        momentum: gamma / mu in [0, 1). Defaults: course 0.9 (seed 002), tf1
            required, keras 0.0, torch required (torch refuses 0 with nesterov).
        convention: ``"course"`` (default), ``"tf1"``, ``"keras"``, ``"torch"``.
        l2, weight_decay, fused, and the Keras optimizer arguments: see
            ``tfcourse.optimizers.base.ConventionOptimizer``.

    Example:

    >>> import keras, numpy as np
    >>> from tfcourse.optimizers import Nesterov
    >>> w = keras.Variable(np.zeros(2, "float32"))
    >>> opt = Nesterov(0.1, momentum=0.5)   # v = 0.1 g; w -= 0.5 v + 0.1 g
    >>> _ = opt.apply_gradients([(np.ones(2, "float32"), w)])
    >>> np.round(keras.ops.convert_to_numpy(w).astype(float), 6).tolist()
    [-0.15, -0.15]

    References: seed 002 (NAG), seed 001 (Sutskever et al. 2013 figure);
    Nesterov 1983; conventions.md 2.2.
    """

    NESTEROV = True
    CONVENTIONS = NESTEROV_CONVENTIONS
    HYPERPARAMETERS = {"momentum": unit_interval_closed_open}

    def __init__(self, learning_rate=None, momentum=None, *, convention="course",
                 l2=0.0, weight_decay=None, fused=None, name="nesterov", **kwargs):
        super().__init__(learning_rate, {"momentum": momentum}, convention=convention,
                         l2=l2, weight_decay=weight_decay, fused=fused, name=name, **kwargs)
