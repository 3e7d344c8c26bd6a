"""Dropout(rate=...) / Dropout(keep_prob=...): inverted scaling, inference identity, errors."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from tfcourse.layers import Dropout

ONES = np.ones((400, 500), dtype="float32")  # n = 200000 Bernoulli draws


@pytest.mark.parametrize("kwargs,keep", [({"keep_prob": 0.8}, 0.8), ({"rate": 0.3}, 0.7),
                                         ({"keep_prob": 0.5}, 0.5)], ids=["kp0.8", "rate0.3", "kp0.5"])
def test_training_keeps_units_with_keep_prob_and_scales_by_its_inverse(kwargs, keep):
    y = np.asarray(Dropout(seed=1, **kwargs)(ONES, training=True))
    np.testing.assert_allclose(np.unique(y), [0.0, 1.0 / keep], rtol=1e-6)
    # Kept fraction ~ Binomial(n, keep)/n: standard error sqrt(keep(1-keep)/n); 6 of them.
    se = math.sqrt(keep * (1 - keep) / ONES.size)
    assert abs(np.mean(y > 0) - keep) < 6 * se
    # Inverted dropout preserves the expectation: mean(y) = kept fraction / keep.
    assert abs(y.mean() - 1.0) < 6 * se / keep


def test_rate_equals_keras_dropout_with_same_seed():
    ours = np.asarray(Dropout(rate=0.25, seed=7)(ONES, training=True))
    theirs = np.asarray(keras.layers.Dropout(0.25, seed=7)(ONES, training=True))
    np.testing.assert_array_equal(ours, theirs)


def test_keep_prob_is_rate_one_minus_keep_prob():
    assert Dropout(keep_prob=0.7).rate == pytest.approx(0.3, abs=1e-15)
    assert Dropout(keep_prob=1.0).rate == 0.0


@pytest.mark.parametrize("kwargs", [{"rate": 0.5}, {"keep_prob": 0.5}])
def test_identity_at_inference(kwargs):
    layer = Dropout(**kwargs)
    np.testing.assert_array_equal(np.asarray(layer(ONES, training=False)), ONES)
    np.testing.assert_array_equal(np.asarray(layer(ONES)), ONES)  # no `training`: inference


@pytest.mark.parametrize("kwargs", [{"rate": 0.2, "seed": 3}, {"keep_prob": 0.6, "noise_shape": (None, 1)}])
def test_config_round_trip_keeps_the_spelling(kwargs):
    layer = Dropout(**kwargs)
    config = layer.get_config()
    spelling = "rate" if "rate" in kwargs else "keep_prob"
    other = "keep_prob" if spelling == "rate" else "rate"
    assert config[spelling] == kwargs[spelling] and other not in config
    clone = Dropout.from_config(config)
    assert clone.get_config() == config and clone.rate == layer.rate
    assert keras.layers.deserialize(keras.layers.serialize(layer)).get_config() == config


@pytest.mark.parametrize("kwargs,message", [
    ({"rate": 1.0}, r"`rate` must be in \[0.0, 1.0\). Received: rate=1.0. rate=1 would drop"),
    ({"rate": -0.1}, r"`rate` must be in \[0.0, 1.0\). Received: rate=-0.1"),
    ({"keep_prob": 0.0}, r"`keep_prob` must be in \(0.0, 1.0\]. Received: keep_prob=0.0"),
    ({"keep_prob": 1.5}, r"`keep_prob` must be in \(0.0, 1.0\]. Received: keep_prob=1.5"),
    ({"rate": 0.5, "keep_prob": 0.5},
     r"Dropout needs exactly one of `rate` or `keep_prob`. Received: rate=0.5, keep_prob=0.5"),
    ({}, r"Dropout needs exactly one of `rate` or `keep_prob`. Received: rate=None, keep_prob=None"),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Dropout(**kwargs)
