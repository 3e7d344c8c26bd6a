"""Tests for tfcourse.initializers: statistics, truncation, limits, Keras/TF1 equality.

Statistical bounds are derived from the sample size n, never guessed:
  * sample mean: standard error sigma/sqrt(n);
  * sample variance s2: standard error sqrt((mu4 - sigma**4)/n), which is
    sigma**2*sqrt(2/n) for a normal (mu4 = 3 sigma**4) and sigma**2*sqrt(0.8/n)
    for a uniform (mu4 = 9/5 sigma**4). A normal truncated at 2 sigma0 has a
    smaller fourth moment, so the normal bound is conservative for it.
We allow 6 standard errors: a correct initializer fails with probability
about 2e-9 per check (two-sided normal tail at 6 sigma).
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest
from keras.src.initializers.random_initializers import compute_fans as keras_compute_fans

from tfcourse import initializers as I

SIGMAS = 6.0  # see the module docstring
TRUNC_STD = 0.87962566103423978  # std of N(0,1) truncated to [-2, 2] (Keras's constant)
DENSE = (400, 300)  # fan_in 400, fan_out 300: n = 120000 samples
CONV = (5, 5, 32, 64)  # fan_in 800, fan_out 1600: n = 51200 samples


def _target_std(family, convention, shape):
    fan_in, fan_out = keras_compute_fans(shape)
    if family == "he" or convention == "course":
        scale = 2.0 if family == "he" else 1.0
        return math.sqrt(scale / fan_in)
    return math.sqrt(2.0 / (fan_in + fan_out))


# (family, convention, uniform) -> expected kind of distribution
CASES = [
    ("xavier", "course", None, "normal"),
    ("xavier", "tf1", None, "uniform"),
    ("xavier", "tf1", False, "contrib"),
    ("xavier", "keras", None, "truncated"),
    ("xavier", "keras", True, "uniform"),
    ("xavier", "torch", None, "normal"),
    ("xavier", "torch", True, "uniform"),
    ("he", "course", None, "normal"),
    ("he", "tf1", None, "contrib"),
    ("he", "tf1", True, "uniform"),
    ("he", "keras", None, "truncated"),
    ("he", "keras", True, "uniform"),
    ("he", "torch", None, "normal"),
    ("he", "torch", True, "uniform"),
]


def _make(family, convention, uniform, seed=0):
    cls = I.Xavier if family == "xavier" else I.He
    return cls(convention, uniform=uniform, seed=seed)


@pytest.mark.parametrize("shape", [DENSE, CONV], ids=["dense", "conv"])
@pytest.mark.parametrize("family,convention,uniform,kind", CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_statistics_truncation_and_limits(family, convention, uniform, kind, shape):
    w = np.asarray(_make(family, convention, uniform)(shape, dtype="float64")).ravel()
    n = w.size
    target = _target_std(family, convention, shape)
    # Effective std of each kind relative to the target.
    effective = {"normal": 1.0, "uniform": 1.0, "truncated": 1.0,
                 # TF1 contrib samples N(0, 1.3 * target**2) truncated at 2 of its sigmas.
                 "contrib": math.sqrt(1.3) * TRUNC_STD}[kind]
    sigma = effective * target
    assert abs(w.mean()) < SIGMAS * sigma / math.sqrt(n), "sample mean"
    kurtosis_term = 0.8 if kind == "uniform" else 2.0
    se_var = sigma**2 * math.sqrt(kurtosis_term / n)
    assert abs(w.var() - sigma**2) < SIGMAS * se_var, (w.var(), sigma**2, se_var)

    if kind == "uniform":
        limit = math.sqrt(3.0) * target
        assert np.abs(w).max() <= limit
        # P(all n samples inside (1 - 20/n) * limit) = (1 - 20/n)**n ~ e**-20.
        assert np.abs(w).max() >= limit * (1 - 20.0 / n)
    elif kind in ("truncated", "contrib"):
        sigma0 = target / TRUNC_STD if kind == "truncated" else math.sqrt(1.3) * target
        assert np.abs(w).max() <= 2 * sigma0 * (1 + 1e-12)
        assert np.abs(w).max() >= 2 * sigma0 * (1 - 1e-3)  # the tails are reached
    else:
        # Untruncated: the fraction beyond 2.2737 target (Keras's cut) is
        # p = P(|z| > 2/0.8796) = 0.02298; its standard error is sqrt(p(1-p)/n).
        p = 0.022984
        frac = np.mean(np.abs(w) > 2 * target / TRUNC_STD)
        assert abs(frac - p) < SIGMAS * math.sqrt(p * (1 - p) / n), frac


@pytest.mark.parametrize("shape", [(7,), (5, 7), (3, 4, 8), (3, 3, 4, 8), (2, 3, 3, 4, 8), ()])
def test_compute_fans_equals_keras(shape):
    assert I.compute_fans(shape) == tuple(keras_compute_fans(shape))


def test_fans_from_real_dense_and_conv_kernels():
    dense = keras.layers.Dense(7)
    dense.build((None, 5))
    conv = keras.layers.Conv2D(8, (3, 3))
    conv.build((None, 32, 32, 4))
    assert I.compute_fans(dense.kernel.shape) == (5, 7)
    assert I.compute_fans(conv.kernel.shape) == (36, 72)


KERAS_EQUAL = [
    (I.Xavier("keras", seed=3), keras.initializers.GlorotNormal(seed=3)),
    (I.Xavier("keras", uniform=True, seed=3), keras.initializers.GlorotUniform(seed=3)),
    (I.Xavier("tf1", seed=3), keras.initializers.GlorotUniform(seed=3)),
    (I.Xavier("torch", uniform=True, seed=3), keras.initializers.GlorotUniform(seed=3)),
    (I.He("keras", seed=3), keras.initializers.HeNormal(seed=3)),
    (I.He("keras", uniform=True, seed=3), keras.initializers.HeUniform(seed=3)),
    (I.Xavier("course", seed=3),
     keras.initializers.VarianceScaling(1.0, "fan_in", "untruncated_normal", seed=3)),
    (I.He("course", seed=3),
     keras.initializers.VarianceScaling(2.0, "fan_in", "untruncated_normal", seed=3)),
    (I.RandomNormal(0.01, seed=3), keras.initializers.RandomNormal(0.0, 0.01, seed=3)),
    (I.RandomNormal(seed=3), keras.initializers.RandomNormal(0.0, 1.0, seed=3)),
]


@pytest.mark.parametrize("ours,theirs", KERAS_EQUAL,
                         ids=[f"{type(a).__name__}-{i}" for i, (a, _) in enumerate(KERAS_EQUAL)])
@pytest.mark.parametrize("shape", [DENSE, (3, 3, 4, 8)], ids=["dense", "conv"])
def test_equals_keras_initializer_with_same_rule(ours, theirs, shape):
    # Same rule and same seed: sampling goes through the same keras.random
    # call, so the values are identical, not merely close.
    np.testing.assert_array_equal(np.asarray(ours(shape)), np.asarray(theirs(shape)))


def _ks_statistic(a, b):
    grid = np.sort(np.concatenate([a, b]))
    fa = np.searchsorted(np.sort(a), grid, side="right") / a.size
    fb = np.searchsorted(np.sort(b), grid, side="right") / b.size
    return np.abs(fa - fb).max()


@pytest.mark.parametrize("name", ["glorot_uniform", "he_normal", "contrib_xavier_normal",
                                  "contrib_variance_scaling"])
def test_same_distribution_as_tf1_initializer(name):
    """TF1's RNG stream differs from Keras's, so equality is distributional.

    Two-sample Kolmogorov-Smirnov test: under the null, P(D > c * sqrt((n+m)/(n m)))
    <= 2 exp(-2 c**2); c = 3.0 gives 3e-8.
    """
    import tensorflow as tf
    v1 = tf.compat.v1
    shape = DENSE
    fan_in, fan_out = shape
    if name == "glorot_uniform":
        theirs = v1.glorot_uniform_initializer(seed=1)(shape, dtype=tf.float32)
        ours = I.Xavier("tf1", seed=1)(shape)
    elif name == "he_normal":
        theirs = v1.initializers.he_normal(seed=1)(shape, dtype=tf.float32)
        ours = I.He("keras", seed=1)(shape)
    elif name == "contrib_xavier_normal":
        # tf.contrib.layers.xavier_initializer(uniform=False) is absent from
        # TF 2.21; its source samples truncated_normal(stddev=sqrt(1.3/n_avg)).
        stddev = math.sqrt(1.3 / ((fan_in + fan_out) / 2.0))
        theirs = v1.truncated_normal(shape, 0.0, stddev, seed=1)
        ours = I.Xavier("tf1", uniform=False, seed=1)(shape)
    else:
        # contrib variance_scaling_initializer() defaults: factor 2, FAN_IN, normal.
        theirs = v1.truncated_normal(shape, 0.0, math.sqrt(1.3 * 2.0 / fan_in), seed=1)
        ours = I.He("tf1", seed=1)(shape)
    a, b = np.asarray(ours).ravel(), np.asarray(theirs).ravel()
    bound = 3.0 * math.sqrt((a.size + b.size) / (a.size * b.size))
    assert _ks_statistic(a, b) < bound
    # ...and the test has power: the course's untruncated rule is rejected
    # against the truncated/uniform ones.
    other = np.asarray(I.Xavier("course", seed=2)(shape)).ravel()
    assert _ks_statistic(other, b) > bound


@pytest.mark.parametrize("init", [I.Xavier("tf1", uniform=False, seed=5), I.He("torch", seed=None),
                                  I.RandomNormal(0.01, mean=0.5, seed=7)],
                         ids=["xavier", "he", "random_normal"])
def test_config_round_trip_and_registration(init):
    config = init.get_config()
    clone = type(init).from_config(config)
    assert clone.get_config() == config
    serialized = keras.initializers.serialize(init)
    assert serialized["registered_name"].startswith("tfcourse>")
    restored = keras.initializers.deserialize(serialized)
    assert type(restored) is type(init) and restored.get_config() == config
    if config["seed"] is not None:
        np.testing.assert_array_equal(np.asarray(restored((20, 30))), np.asarray(init((20, 30))))


def test_get_resolves_course_and_keras_names():
    assert isinstance(I.get("xavier"), I.Xavier) and I.get("xavier").convention == "course"
    assert I.get("he_tf1").convention == "tf1"
    assert I.get("random_normal").stddev == 1.0  # TF1 default, not Keras's 0.05
    assert isinstance(I.get("glorot_uniform", seed=4), keras.initializers.GlorotUniform)
    assert I.get("glorot_uniform", seed=4).get_config()["seed"] == 4
    assert I.get("xavier_keras", seed=9).get_config()["seed"] == 9
    assert isinstance(I.get("zeros"), keras.initializers.Zeros)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match=r"`convention` must be one of \['course', 'tf1', "
                       r"'keras', 'torch'\]. Received: convention='caffe'"):
        I.Xavier("caffe")
    with pytest.raises(ValueError, match=r"`uniform` must be one of \[None, False\] when "
                       r"convention='course'. Received: uniform=True"):
        I.He("course", uniform=True)
    with pytest.raises(TypeError, match=r"`uniform` must be True or False. Received: uniform='yes'"):
        I.Xavier("keras", uniform="yes")
    with pytest.raises(ValueError, match=r"`stddev` must be in \(0.0, inf[)\]]. Received: stddev=-1"):
        I.RandomNormal(-1)


def test_public_names():
    assert sorted(I.__all__) == ["CONVENTIONS", "He", "RandomNormal", "Xavier", "compute_fans", "get"]
    for name in ("Xavier", "He", "RandomNormal"):
        assert keras.saving.get_registered_object(f"tfcourse>{name}") is getattr(I, name)
