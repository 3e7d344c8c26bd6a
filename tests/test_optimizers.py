"""Parity suite: every optimizer x convention against a running reference.

References (see tests/references/optimizers.py and optimizer_helpers.py):
- NumPy transcriptions of every rule (course, tf1, keras, torch): all 36
  pairs plus option variants, on both the generic keras.ops path and, where a
  TensorFlow kernel computes the same rule, the fused path;
- tf.compat.v1.train optimizers in graph mode for every tf1 pair (the TF 1.15
  contrib Nadam / AdamW are transcribed from their source on top of
  tf.compat.v1.train.AdamOptimizer);
- keras.optimizers built-ins for every keras pair;
- (tests/test_optimizers_torch.py) real torch.optim for the torch rules.

Float64 throughout; 24 steps; gradients vary in sign and size; the learning
rate changes every step. Hyperparameters are float32-exact (0.875,
1 - 2**-10, 2**-10 ...) wherever a reference casts Python floats through
float32, so the comparison is exact up to float64 arithmetic.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tests.optimizer_helpers import (
    N_STEPS,
    assert_same_trajectory,
    grad,
    keras_trajectory,
    learning_rates,
    max_relative_gap,
    tf1_trajectory,
)
from tests.references import optimizers as ref

CONVENTIONS = ("course", "tf1", "keras", "torch")
BETAS = {"beta_1": 0.875, "beta_2": 1 - 2**-10}
EPS = 2**-10

# (optimizer, convention, explicit hyperparameters, base learning rate, expected fused kernel)
CASES = [
    ("gradient_descent", c, {}, 0.05, "ResourceApplyGradientDescent") for c in CONVENTIONS
] + [
    ("momentum", "course", {"momentum": 0.875}, 0.4, None),
    ("momentum", "course", {"momentum": 0.875, "bias_correction": True}, 0.4, None),
    ("momentum", "tf1", {"momentum": 0.875}, 0.05, "ResourceApplyMomentum"),
    ("momentum", "keras", {"momentum": 0.875}, 0.05, "ResourceApplyKerasMomentum"),
    ("momentum", "torch", {"momentum": 0.875}, 0.05, "ResourceApplyMomentum"),
    ("momentum", "torch", {"momentum": 0.875, "dampening": 0.25}, 0.05, None),
    ("momentum", "keras", {"momentum": 0.875, "weight_decay": 0.0625}, 0.05,
     "ResourceApplyKerasMomentum"),
    ("nesterov", "course", {"momentum": 0.875}, 0.05, "ResourceApplyKerasMomentum"),
    ("nesterov", "tf1", {"momentum": 0.875}, 0.05, "ResourceApplyMomentum"),
    ("nesterov", "keras", {"momentum": 0.875}, 0.05, "ResourceApplyKerasMomentum"),
    ("nesterov", "torch", {"momentum": 0.875}, 0.05, "ResourceApplyMomentum"),
    ("adagrad", "course", {"epsilon": EPS}, 0.3, None),
    ("adagrad", "course", {"epsilon": 0.0, "initial_accumulator_value": 0.125}, 0.3,
     "ResourceApplyAdagrad"),
    ("adagrad", "tf1", {"initial_accumulator_value": 0.125}, 0.3, "ResourceApplyAdagrad"),
    ("adagrad", "keras", {"epsilon": EPS, "initial_accumulator_value": 0.125}, 0.3, None),
    ("adagrad", "torch", {"epsilon": EPS}, 0.3, "ResourceApplyAdagradV2"),
    ("adagrad", "torch", {"epsilon": EPS, "lr_decay": 0.0625}, 0.3, None),
] + [
    ("rmsprop", c, {"rho": 0.875, "epsilon": EPS, **options}, 0.05,
     None if c == "torch" else kernel)
    for c in CONVENTIONS
    for options, kernel in [({}, "ResourceApplyRMSProp"),
                            ({"momentum": 0.5}, "ResourceApplyRMSProp"),
                            ({"momentum": 0.5, "centered": True}, "ResourceApplyCenteredRMSProp")]
] + [
    ("adadelta", c, {"rho": 0.875, "epsilon": EPS}, 0.5, "ResourceApplyAdadelta")
    for c in CONVENTIONS
] + [
    ("adam", c, {**BETAS, "epsilon": EPS}, 0.05,
     "ResourceApplyAdam" if c in ("tf1", "keras") else None) for c in CONVENTIONS
] + [
    ("adam", c, {"beta_1": 0.875, "beta_2": 0.5, "epsilon": EPS, "amsgrad": True}, 0.05,
     "ResourceApplyAdamWithAmsgrad" if c == "keras" else None) for c in ("course", "keras", "torch")
] + [
    ("adam", "course", {**BETAS, "epsilon": EPS, "l2": 0.125}, 0.05, None),
    ("adam", "keras", {**BETAS, "epsilon": EPS, "weight_decay": 0.0625}, 0.05,
     "ResourceApplyAdam"),
] + [
    ("adamw", c, {**BETAS, "epsilon": EPS, "weight_decay": 0.03125}, 0.05,
     "ResourceApplyAdam" if c in ("tf1", "keras") else None) for c in CONVENTIONS
] + [
    ("nadam", "course", {**BETAS, "epsilon": EPS}, 0.05, None),
    ("nadam", "tf1", {**BETAS, "epsilon": EPS}, 0.05, "ResourceApplyAdam"),
    ("nadam", "keras", {**BETAS, "epsilon": EPS}, 0.05, None),
    ("nadam", "torch", {**BETAS, "epsilon": EPS}, 0.05, None),
    ("nadam", "torch", {**BETAS, "epsilon": EPS, "momentum_decay": 0.5}, 0.05, None),
]


def _case_id(case):
    name, convention, hp, _, _ = case
    extra = ",".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in hp.items()
                     if k in ("momentum", "dampening", "centered", "amsgrad", "l2",
                              "weight_decay", "lr_decay", "initial_accumulator_value",
                              "momentum_decay", "bias_correction"))
    return f"{name}-{convention}" + (f"[{extra}]" if extra else "")


def _ours(name, convention, hp, lr, fused):
    from tfcourse import optimizers

    return optimizers.get(name, learning_rate=lr, convention=convention, fused=fused, **hp)


def _numpy_reference(name, convention, hp, lrs, scale=1.0):
    """The NumPy transcription, resolved with the optimizer's own defaults where
    a hyperparameter was left out (the defaults are tested separately)."""
    from tfcourse import optimizers

    opt = optimizers.get(name, learning_rate=1.0, convention=convention, **hp)
    config = opt.get_config()
    full = {k: config[k] for k in ("momentum", "dampening", "epsilon", "rho", "beta_1",
                                   "beta_2", "amsgrad", "centered", "momentum_decay",
                                   "initial_accumulator_value", "lr_decay", "l2",
                                   "bias_correction")
            if config.get(k) is not None}
    if config.get("weight_decay"):
        full["weight_decay"] = config["weight_decay"]
    step = ref.rule(name, convention, **full)
    return ref.trajectory(step, _W0(), lambda w, t: grad(w, t, scale), lrs)


def _W0():
    from tests.optimizer_helpers import W0

    return W0


@pytest.mark.parametrize("path", ["generic", "fused"])
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_trajectory_matches_numpy_reference(case, path, float64):
    name, convention, hp, lr, kernel = case
    opt = _ours(name, convention, hp, lr, fused=False if path == "generic" else None)
    assert opt._fused_kernel() == kernel
    if path == "fused" and kernel is None:
        # No TensorFlow kernel computes this rule: fused=None must fall back to
        # the generic path, and fused=True must refuse.
        assert not opt._use_fused()
        with pytest.raises(ValueError, match="`fused` does not apply"):
            _ours(name, convention, hp, lr, fused=True)
        return
    assert opt._use_fused() == (path == "fused")
    lrs = learning_rates(lr)
    ours = keras_trajectory(opt, lrs)
    want = _numpy_reference(name, convention, hp, lrs)
    # Both sides compute the same float64 formula; only the order of
    # operations differs (a few ulp per step, amplified over 24 steps).
    assert_same_trajectory(ours, want, rtol=1e-10, atol=1e-12, label=_case_id(case))
    assert np.max(np.abs(ours[-1] - ours[0])) > 0.05  # the run really moved


def test_course_nesterov_is_seed_002_nag_with_lookahead_gradient(float64):
    """Seed 002: v_t = gamma v + eta grad J(theta - gamma v); theta -= v_t.

    Run literally (gradient evaluated at theta - gamma v), the look-ahead points
    theta - gamma v are exactly what the course Nesterov keeps in the variable.
    """
    lrs = learning_rates(0.05)
    ours = keras_trajectory(_ours("nesterov", "course", {"momentum": 0.875}, 0.05, False), lrs)
    want = ref.nesterov_course_trajectory(_W0(), grad, lrs, 0.875)
    assert_same_trajectory(ours, want, rtol=1e-10, atol=1e-12, label="course NAG")


# ------------------------------------------------------------------ TF1 graph mode
def _tf1_optimizer(name, hp):
    import tensorflow as tf

    v1 = tf.compat.v1

    def c64(x):
        return tf.constant(x, tf.float64)

    if name == "gradient_descent":
        return lambda lr: v1.train.GradientDescentOptimizer(lr)
    if name in ("momentum", "nesterov"):
        return lambda lr: v1.train.MomentumOptimizer(lr, c64(hp["momentum"]),
                                                     use_nesterov=name == "nesterov")
    if name == "adagrad":
        return lambda lr: v1.train.AdagradOptimizer(lr, hp["initial_accumulator_value"])
    if name == "rmsprop":
        return lambda lr: v1.train.RMSPropOptimizer(
            lr, c64(hp["rho"]), c64(hp.get("momentum", 0.0)), c64(hp["epsilon"]),
            centered=hp.get("centered", False))
    if name == "adadelta":
        return lambda lr: v1.train.AdadeltaOptimizer(lr, c64(hp["rho"]), c64(hp["epsilon"]))
    if name == "adam":
        return lambda lr: v1.train.AdamOptimizer(lr, c64(hp["beta_1"]), c64(hp["beta_2"]),
                                                 c64(hp["epsilon"]))
    if name == "nadam":
        return lambda lr: _contrib_nadam()(lr, c64(hp["beta_1"]), c64(hp["beta_2"]),
                                           c64(hp["epsilon"]))
    if name == "adamw":
        return lambda lr: _contrib_adamw()(c64(hp["weight_decay"]), lr, c64(hp["beta_1"]),
                                           c64(hp["beta_2"]), c64(hp["epsilon"]))
    raise KeyError(name)


def _contrib_nadam():
    """tf.contrib.opt.NadamOptimizer (TF 1.15 nadam_optimizer.py), transcribed:
    AdamOptimizer whose dense apply runs the Adam kernel with use_nesterov=True,
    and its own sparse apply (``_apply_sparse_shared``)."""
    import tensorflow as tf

    class NadamOptimizer(tf.compat.v1.train.AdamOptimizer):
        def _resource_apply_dense(self, grad, var):
            m = self.get_slot(var, "m")
            v = self.get_slot(var, "v")
            beta1_power, beta2_power = self._get_beta_accumulators()
            dtype = var.dtype.base_dtype
            return tf.raw_ops.ResourceApplyAdam(
                var=var.handle, m=m.handle, v=v.handle,
                beta1_power=tf.cast(beta1_power, dtype), beta2_power=tf.cast(beta2_power, dtype),
                lr=tf.cast(self._lr_t, dtype), beta1=tf.cast(self._beta1_t, dtype),
                beta2=tf.cast(self._beta2_t, dtype), epsilon=tf.cast(self._epsilon_t, dtype),
                grad=grad, use_locking=self._use_locking, use_nesterov=True)

        def _apply_sparse_shared(self, grad, var, indices, scatter_add):
            # contrib's sparse apply: m and v decay on every row, the weights
            # move on the (deduplicated) touched rows only.
            beta1_power, beta2_power = self._get_beta_accumulators()
            dtype = var.dtype.base_dtype
            beta1_power, beta2_power = tf.cast(beta1_power, dtype), tf.cast(beta2_power, dtype)
            lr_t, beta1_t = tf.cast(self._lr_t, dtype), tf.cast(self._beta1_t, dtype)
            beta2_t, epsilon_t = tf.cast(self._beta2_t, dtype), tf.cast(self._epsilon_t, dtype)
            lr = lr_t * tf.sqrt(1 - beta2_power) / (1 - beta1_power)
            m = self.get_slot(var, "m")
            m_scaled_g_values = grad * (1 - beta1_t)
            m_t = m.assign(m * beta1_t)
            with tf.control_dependencies([m_t]):
                m_t = scatter_add(m, indices, m_scaled_g_values)
                m_bar = m_scaled_g_values + beta1_t * tf.gather(m_t, indices)
            v = self.get_slot(var, "v")
            v_scaled_g_values = (grad * grad) * (1 - beta2_t)
            v_t = v.assign(v * beta2_t)
            with tf.control_dependencies([v_t]):
                v_t = scatter_add(v, indices, v_scaled_g_values)
            v_sqrt = tf.sqrt(tf.gather(v_t, indices))
            var_update = scatter_add(var, indices, -lr * m_bar / (v_sqrt + epsilon_t))
            return tf.group(var_update, m_bar, v_t)

    return NadamOptimizer


def _contrib_adamw():
    """tf.contrib.opt.AdamWOptimizer (TF 1.15 weight_decay_optimizers.py), transcribed:
    var -= weight_decay * var (not times lr; sparse: on the touched rows), then the Adam apply. The decay
    waits for the gradient (control dependency) so the gradient is the one at the
    pre-decay weights, as in contrib's usual minimize() order."""
    import tensorflow as tf

    class AdamWOptimizer(tf.compat.v1.train.AdamOptimizer):
        def __init__(self, weight_decay, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._weight_decay = weight_decay

        def _resource_apply_dense(self, grad, var):
            with tf.control_dependencies([grad]):
                decay = var.assign_sub(self._weight_decay * var, self._use_locking)
            with tf.control_dependencies([decay]):
                return super()._resource_apply_dense(grad, var)

        def _resource_apply_sparse(self, grad, var, indices):
            # contrib's _decay_weights_sparse_op: only the touched rows decay.
            with tf.control_dependencies([grad]):
                update = -self._weight_decay * tf.gather(var, indices)
                decay = tf.raw_ops.ResourceScatterAdd(resource=var.handle, indices=indices,
                                                      updates=update)
            with tf.control_dependencies([decay]):
                return super()._resource_apply_sparse(grad, var, indices)

    return AdamWOptimizer


TF1_CASES = [c for c in CASES if c[1] == "tf1"]


@pytest.mark.parametrize("path", ["generic", "fused"])
@pytest.mark.parametrize("case", TF1_CASES, ids=_case_id)
def test_tf1_convention_matches_tf_compat_v1_train(case, path, float64):
    name, convention, hp, lr, _ = case
    lrs = learning_rates(lr)
    ours = keras_trajectory(_ours(name, "tf1", hp, lr, fused=path == "fused"), lrs)
    want = tf1_trajectory(_tf1_optimizer(name, hp), lrs)
    # TF1 keeps float64 hyperparameters here (tf.constant(x, tf.float64)); the
    # only differences are TF1's running beta powers (beta^t by repeated
    # multiplication) and rsqrt vs 1/sqrt: a few ulp.
    assert_same_trajectory(ours, want, rtol=1e-9, atol=1e-12, label=f"{name} tf1 {path}")


# ------------------------------------------------------------------ Keras built-ins
def _keras_builtin(name, hp, lr):
    import keras

    K = keras.optimizers
    wd = {"weight_decay": hp["weight_decay"]} if hp.get("weight_decay") else {}
    if name == "gradient_descent":
        return K.SGD(lr)
    if name in ("momentum", "nesterov"):
        return K.SGD(lr, momentum=hp["momentum"], nesterov=name == "nesterov", **wd)
    if name == "adagrad":
        return K.Adagrad(lr, hp["initial_accumulator_value"], hp["epsilon"])
    if name == "rmsprop":
        return K.RMSprop(lr, hp["rho"], hp.get("momentum", 0.0), hp["epsilon"],
                         hp.get("centered", False))
    if name == "adadelta":
        return K.Adadelta(lr, hp["rho"], hp["epsilon"])
    if name == "adam":
        return K.Adam(lr, hp["beta_1"], hp["beta_2"], hp["epsilon"],
                      hp.get("amsgrad", False), **wd)
    if name == "adamw":
        return K.AdamW(lr, hp["weight_decay"], hp["beta_1"], hp["beta_2"], hp["epsilon"])
    if name == "nadam":
        return K.Nadam(lr, hp["beta_1"], hp["beta_2"], hp["epsilon"])
    raise KeyError(name)


KERAS_CASES = [c for c in CASES if c[1] == "keras"]


@pytest.mark.parametrize("path", ["generic", "fused"])
@pytest.mark.parametrize("case", KERAS_CASES, ids=_case_id)
def test_keras_convention_matches_keras_builtin(case, path, float64):
    name, convention, hp, lr, kernel = case
    lrs = learning_rates(lr)
    fused = path == "fused" and kernel is not None
    ours = keras_trajectory(_ours(name, "keras", hp, lr, fused=fused), lrs)
    want = keras_trajectory(_keras_builtin(name, hp, lr), lrs)
    if name == "nadam":
        # Keras Nadam casts its constant 0.96 through float32 (0.9599999785...),
        # which no choice of hyperparameters avoids; the NumPy reference with
        # that rounding reproduced matches Keras to 1e-12 (next test), and the
        # rounding itself moves the run by < 1e-7 relative.
        assert_same_trajectory(ours, want, rtol=1e-7, atol=1e-9, label="nadam keras")
    else:
        # Float32-exact hyperparameters, float64 learning rate: exact formula.
        assert_same_trajectory(ours, want, rtol=1e-9, atol=1e-12, label=f"{name} keras")


def test_keras_nadam_reference_with_its_float32_constant(float64):
    lrs = learning_rates(0.05)
    hp = {**BETAS, "epsilon": EPS}
    want = keras_trajectory(_keras_builtin("nadam", hp, 0.05), lrs)
    step = ref.nadam_dozat(**hp, momentum_decay=1.0, decay_base=float(np.float32(0.96)))
    got = ref.trajectory(step, _W0(), grad, lrs)
    assert_same_trajectory(got, want, rtol=1e-12, atol=1e-13, label="keras nadam numpy")
    exact = ref.trajectory(ref.nadam_dozat(**hp, momentum_decay=1.0), _W0(), grad, lrs)
    assert 0 < max_relative_gap(exact, want) < 1e-7


# ------------------------------------------------------- the conventions differ
# Conventions that compute the same rule when given the same hyperparameters.
SAME_RULE = {
    "gradient_descent": [{"course", "tf1", "keras", "torch"}],
    "momentum": [{"tf1", "torch"}, {"course"}, {"keras"}],
    "nesterov": [{"course", "keras"}, {"tf1", "torch"}],
    "rmsprop": [{"course", "keras"}, {"tf1"}, {"torch"}],
    "adadelta": [{"course", "tf1", "keras", "torch"}],
    "adam": [{"tf1", "keras"}, {"course"}, {"torch"}],
    "adamw": [{"tf1"}, {"keras"}, {"course"}, {"torch"}],
    "nadam": [{"tf1"}, {"keras"}, {"course"}, {"torch"}],
}
SHARED_HP = {
    "gradient_descent": {},
    "momentum": {"momentum": 0.875},
    "nesterov": {"momentum": 0.875},
    "rmsprop": {"rho": 0.875, "epsilon": 1e-3, "momentum": 0.5},
    "adadelta": {"rho": 0.875, "epsilon": 1e-3},
    "adam": {**BETAS, "epsilon": 1e-3},
    "adamw": {**BETAS, "epsilon": 1e-3, "weight_decay": 0.125},
    "nadam": {**BETAS, "epsilon": 1e-3},
}


@pytest.mark.parametrize("name", sorted(SAME_RULE))
def test_same_hyperparameters_different_convention_gives_a_different_run(name, float64):
    """Small, epsilon-sensitive gradients (x0.01) and a changing learning rate."""
    lrs = learning_rates(0.05)
    runs = {c: keras_trajectory(_ours(name, c, SHARED_HP[name], 0.05, False), lrs, scale=0.01)
            for c in CONVENTIONS}
    for a, b in itertools.combinations(CONVENTIONS, 2):
        same = any(a in group and b in group for group in SAME_RULE[name])
        gap = max_relative_gap(runs[a], runs[b])
        if same:
            assert gap < 1e-12, f"{name}: {a} and {b} should compute the same rule ({gap=})"
        else:
            assert gap > 1e-3, f"{name}: {a} and {b} should differ ({gap=})"


def test_adagrad_epsilon_inside_vs_outside_differ(float64):
    lrs = learning_rates(0.3)
    hp = {"epsilon": 0.25, "initial_accumulator_value": 0.125}
    runs = {c: keras_trajectory(_ours("adagrad", c, hp, 0.3, False), lrs, scale=0.01)
            for c in ("course", "keras", "torch")}
    assert max_relative_gap(runs["course"], runs["keras"]) < 1e-12
    assert max_relative_gap(runs["keras"], runs["torch"]) > 1e-2


@pytest.mark.parametrize("name", sorted(SAME_RULE) + ["adagrad"])
def test_defaults_differ_between_conventions(name, float64):
    """Only the learning rate given: each convention brings its own defaults.

    Gradients are scaled by 1e-4, where the default epsilons (1e-7 to 1e-10,
    inside or outside the root) matter."""
    # Values the source has no default for (tf1 Momentum/Nesterov/AdamW, torch Nesterov).
    required = {("momentum", "tf1"): {"momentum": 0.9}, ("nesterov", "tf1"): {"momentum": 0.9},
                ("nesterov", "torch"): {"momentum": 0.9}, ("adamw", "tf1"): {"weight_decay": 0.01}}
    lrs = learning_rates(0.05)
    runs = {}
    for c in CONVENTIONS:
        hp = required.get((name, c), {})
        runs[c] = keras_trajectory(_ours(name, c, hp, 0.05, False), lrs, scale=1e-4)
    for a, b in itertools.combinations(CONVENTIONS, 2):
        gap = max_relative_gap(runs[a], runs[b])
        if name == "gradient_descent" or (name, a, b) in (("momentum", "keras", "torch"),
                                                          ("nesterov", "tf1", "torch")):
            # One rule and the same values: plain GD everywhere; Keras and
            # torch SGD both default to momentum 0; TF1 and torch Nesterov
            # are one rule and both need momentum given.
            assert gap < 1e-12
        elif (name, a, b) == ("adagrad", "tf1", "keras"):
            # Both start G at 0.1; Keras' epsilon 1e-7 inside the root (TF1
            # has none) changes each step by about 1e-7 / 0.1 relative.
            assert 1e-8 < gap < 1e-5
        else:
            assert gap > 1e-4, f"{name}: {a} vs {b} ({gap=})"


def test_steps_and_length_of_the_problem():
    # The suite's premise: at least 20 steps, gradients of both signs and of
    # sizes spanning three decades, a learning rate that changes every step.
    from tests.optimizer_helpers import LR_MULTIPLIER, SCALE

    assert N_STEPS >= 20
    assert (SCALE < 0).any() and (SCALE > 0).any()
    assert np.abs(SCALE).max() / np.abs(SCALE).min() >= 1000
    assert np.all(np.diff(LR_MULTIPLIER) != 0)


# ------------------------------------------------- bias-corrected momentum (seed 003)
def test_momentum_bias_correction_is_seed_003_and_matters_early(float64):
    """W -= a V / (1 - b^t): the first step moves by a g, not a (1 - b) g."""
    lrs = learning_rates(0.4)
    plain = keras_trajectory(_ours("momentum", "course", {"momentum": 0.875}, 0.4, None), lrs)
    corrected = keras_trajectory(
        _ours("momentum", "course", {"momentum": 0.875, "bias_correction": True}, 0.4, None), lrs)
    from tests.optimizer_helpers import W0

    g1 = grad(W0, 1)
    np.testing.assert_allclose(corrected[1], W0 - lrs[0] * g1, rtol=1e-12)
    np.testing.assert_allclose(plain[1], W0 - lrs[0] * (1 - 0.875) * g1, rtol=1e-12)
    assert max_relative_gap(corrected, plain) > 0.1


@pytest.mark.parametrize("convention", ["tf1", "keras", "torch"])
def test_momentum_bias_correction_only_in_the_course_convention(convention):
    from tfcourse import optimizers

    with pytest.raises(ValueError, match=r"`bias_correction` does not apply .*only the course "
                                         r"convention has `bias_correction`"):
        optimizers.Momentum(0.1, 0.9, bias_correction=True, convention=convention)


# --------------------------------------------- the fused kernels' float32 rounding
KERAS_DEFAULTS = [("adam", "Adam"), ("adamw", "AdamW"), ("rmsprop", "RMSprop"),
                  ("adadelta", "Adadelta")]


@pytest.mark.parametrize("name,builtin", KERAS_DEFAULTS)
def test_keras_defaults_in_float32_equal_keras_bit_for_bit(name, builtin):
    """TensorFlow's kernels compute 1 - beta_2 in float32 from float32(0.999):
    0.0009999871, where Keras multiplies by float32(0.001) = 0.0010000000475
    (1.3e-5 relative; 1 - rho for rho = 0.9: 2.4e-7). That was the fused
    Adam's drift from Keras (2.6e-6 after 2 epochs). The kernels now run only
    where both roundings agree, so the keras convention's defaults take the
    generic step, which is Keras' op sequence: equal to the last bit."""
    import keras

    from tfcourse import optimizers

    ours = optimizers.get(name, learning_rate=0.05, convention="keras")
    assert not ours._use_fused("float32") and ours._use_fused("float64")
    lrs = learning_rates(0.05)
    got = keras_trajectory(ours, lrs, dtype="float32")
    want = keras_trajectory(getattr(keras.optimizers, builtin)(0.05), lrs, dtype="float32")
    np.testing.assert_array_equal(got, want)


def test_fused_keras_adam_refused_where_its_float32_rounding_differs():
    from tfcourse import optimizers

    with pytest.raises(ValueError, match=r"`fused` does not apply .*beta_2=0.999 in float32: "
                                         r"the kernel computes 1 - beta_2 in float32"):
        optimizers.Adam(convention="keras", fused=True)
    assert optimizers.Adam(convention="keras", beta_1=0.875, beta_2=1 - 2**-10,
                           fused=True)._use_fused("float32")


@pytest.mark.parametrize("name", ["adam", "adadelta", "momentum"])
def test_tf1_generic_step_rounds_as_the_kernel_in_float32(name):
    """tf1 computes 1 - beta in float32 as the kernel does: fused == generic."""
    hp = {"momentum": 0.9} if name == "momentum" else {}
    lrs = learning_rates(0.05)
    fused = keras_trajectory(_ours(name, "tf1", hp, 0.05, None), lrs, dtype="float32")
    generic = keras_trajectory(_ours(name, "tf1", hp, 0.05, False), lrs, dtype="float32")
    np.testing.assert_array_equal(fused, generic)


def test_keras_adam_float64_rounds_its_betas_through_float32(float64):
    """keras.optimizers.Adam in float64 raises ops.cast(beta, "float64") to the
    t-th power, and TensorFlow's cast of a Python float passes through float32
    (0.999 -> 0.99900001287...), while m and v use the exact 1 - beta. The NumPy
    rule with those rounded bases equals Keras; the keras convention keeps the
    exact betas, 2.3e-6 away after 24 steps with Keras' defaults (the
    'unexplained' float64 difference)."""
    import keras

    from tfcourse import optimizers

    lrs = learning_rates(0.05)
    want = keras_trajectory(keras.optimizers.Adam(0.05), lrs)
    bases = (float(np.float32(0.9)), float(np.float32(0.999)))
    rounded = ref.trajectory(ref.adam(0.9, 0.999, 1e-7, form="hat", power_bases=bases),
                             _W0(), grad, lrs)
    assert_same_trajectory(rounded, want, rtol=1e-12, atol=1e-13, label="keras float64 adam")
    ours = keras_trajectory(optimizers.Adam(0.05, convention="keras"), lrs)
    exact = ref.trajectory(ref.adam(0.9, 0.999, 1e-7, form="hat"), _W0(), grad, lrs)
    assert_same_trajectory(ours, exact, rtol=1e-12, atol=1e-13, label="keras convention")
    gap = float(np.max(np.abs(ours - want)))
    assert 1e-7 < gap < 3e-6, gap  # measured 2.34e-6
