"""tfcourse.losses against seed 004's worked numbers, Keras' losses and TF1's op."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from tfcourse import losses

# Seed 004, "Loss Function": the network says cat 0.1, dog 0.9; the answer is cat.
Y = np.array([0.1, 0.9])
T = np.array([1.0, 0.0])


def numpy_of(value):
    return np.asarray(keras.ops.convert_to_numpy(value), np.float64)


def test_mean_squared_error_is_the_seeds_081():
    # 1/2 ((0.1 - 1)^2 + (0.9 - 0)^2) = 1/2 (0.81 + 0.81); float64 in, float64 out.
    assert numpy_of(losses.mean_squared_error(T, Y)) == pytest.approx(0.81, abs=1e-15)


def test_cross_entropy_error_is_minus_log_of_the_correct_output():
    # -(1 log 0.1 + 0 log 0.9) = 2.302585...
    assert numpy_of(losses.cross_entropy_error(T, Y)) == pytest.approx(-math.log(0.1), abs=1e-15)


def test_softmax_of_the_seeds_logits_is_about_01_09():
    y = numpy_of(losses.softmax(np.array([1.5, 3.7])))
    exact = np.exp([1.5, 3.7]) / np.exp([1.5, 3.7]).sum()
    np.testing.assert_allclose(y, exact, rtol=1e-15)  # float64 throughout
    np.testing.assert_allclose(y, [0.1, 0.9], atol=0.0003)  # the slide rounds to one digit
    assert y.sum() == pytest.approx(1.0, abs=1e-15)


def test_safe_softmax_survives_where_the_slides_formula_overflows():
    a = np.array([[1000.0, 1001.0, 999.0]], np.float32)
    with np.errstate(all="ignore"):
        naive = numpy_of(losses.softmax_naive(a))
    assert np.isnan(naive).all()  # inf / inf
    safe = numpy_of(losses.softmax(a))
    # Shifting by a constant changes nothing: softmax(a) = softmax(a - 1000).
    reference = np.exp([0.0, 1.0, -1.0]) / np.exp([0.0, 1.0, -1.0]).sum()
    np.testing.assert_allclose(safe[0], reference, rtol=1e-6)  # float32 exp


def test_mean_squared_error_is_half_k_times_keras_mse():
    rng = np.random.default_rng(0)
    t, y = rng.random((5, 4)), rng.random((5, 4))
    keras_mse = numpy_of(keras.losses.mean_squared_error(t, y))
    # Keras: mean over the K = 4 outputs, no 1/2; float32 rounding of both.
    np.testing.assert_allclose(numpy_of(losses.mean_squared_error(t, y)), 4 / 2 * keras_mse,
                               rtol=1e-6)


def test_cross_entropy_error_matches_keras_on_probabilities():
    rng = np.random.default_rng(1)
    y = rng.random((6, 10)) + 0.01
    y /= y.sum(axis=1, keepdims=True)  # Keras renormalizes rows; ours does not
    t = np.eye(10)[rng.integers(0, 10, 6)]
    np.testing.assert_allclose(numpy_of(losses.cross_entropy_error(t, y)),
                               numpy_of(keras.losses.categorical_crossentropy(t, y)),
                               rtol=1e-6)  # Keras computes in float32


def test_softmax_cross_entropy_matches_tf1_and_keras_from_logits():
    import tensorflow as tf

    rng = np.random.default_rng(2)
    a = (rng.standard_normal((8, 10)) * 30).astype(np.float32)  # large logits too
    t = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 8)]
    ours = numpy_of(losses.softmax_cross_entropy(t, a))
    tf1 = tf.compat.v1.nn.softmax_cross_entropy_with_logits_v2(labels=t, logits=a).numpy()
    keras_value = numpy_of(keras.losses.categorical_crossentropy(t, a, from_logits=True))
    # float32 log-sum-exp in all three; losses up to ~150, so a relative bound.
    np.testing.assert_allclose(ours, tf1, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(ours, keras_value, rtol=1e-6, atol=1e-5)
    # ... and it is the cross-entropy of the softmax (float64 reference).
    a64 = a.astype(np.float64)
    p = np.exp(a64 - a64.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(ours, -(t * np.log(p)).sum(1), rtol=1e-5, atol=1e-5)


def test_losses_train_a_keras_model_and_survive_saving(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 64)]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=losses.cross_entropy_error)
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # Keras' reported loss is the batch mean of our per-example values.
    expected = numpy_of(losses.cross_entropy_error(y, model.predict(x, verbose=0))).mean()
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)
    model.save(tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras")
    assert restored.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_cross_entropy_rejects_an_epsilon_outside_0_1():
    with pytest.raises(ValueError, match=r"`epsilon` must be in \(0.0, 1.0\)\. Received: "
                                         r"epsilon=0.0"):
        losses.cross_entropy_error(T, Y, epsilon=0.0)
