"""Seed 002's weight decay W <- W - lr (dL/dW + lambda W): MLPSpec.weight_decay against NumPy."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tfcourse import models


@pytest.fixture
def float64():
    """float64 layers: floatx and the global dtype policy (conftest's sets floatx only, which
    Keras ignores once any layer exists)."""
    from tfcourse._precision import float64_keras

    with float64_keras():
        yield


def softmax_regression_step(W, b, x, labels, learning_rate, weight_decay):
    """One plain-GD step of softmax regression with seed 002's rule, in NumPy."""
    a = x @ W + b
    y = np.exp(a - a.max(1, keepdims=True))
    y /= y.sum(1, keepdims=True)
    t = np.eye(W.shape[1])[labels]
    dW = x.T @ (y - t) / len(x)
    db = (y - t).sum(0) / len(x)
    return W - learning_rate * (dW + weight_decay * W), b - learning_rate * db  # biases: no decay


def test_weight_decay_is_the_seeds_gradient_descent_rule(float64):
    rng = np.random.default_rng(0)
    x, labels = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
    spec = models.MLPSpec(input_size=5, hidden_sizes=(), num_classes=3,
                          kernel_initializer="random_normal", bias_initializer="random_normal",
                          weight_decay=0.3)
    model = models.build_model(spec, seed=1)
    W, b = (np.array(v) for v in model.get_layer("logits").get_weights())
    model.compile(optimizer=keras.optimizers.SGD(0.5),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    for step in range(1, 4):
        W, b = softmax_regression_step(W, b, x, labels, 0.5, 0.3)
        model.train_on_batch(x, labels)
        got_W, got_b = model.get_layer("logits").get_weights()
        # float64 on both sides: only summation order differs.
        np.testing.assert_allclose(got_W, W, rtol=1e-12, atol=1e-14, err_msg=f"step {step}")
        np.testing.assert_allclose(got_b, b, rtol=1e-12, atol=1e-14, err_msg=f"step {step}")
    # The decay shrank the kernel: without it the same steps end elsewhere.
    W0, b0 = (np.array(v) for v in models.build_model(spec.replace(weight_decay=0.0), seed=1)
              .get_layer("logits").get_weights())
    for _ in range(3):
        W0, b0 = softmax_regression_step(W0, b0, x, labels, 0.5, 0.0)
    assert np.abs(W0 - W).max() > 0.1


def test_weight_decay_in_a_hidden_net_is_the_seeds_rule(float64):
    rng = np.random.default_rng(2)
    x, labels = rng.standard_normal((16, 6)), rng.integers(0, 4, 16)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    spec = models.MLPSpec(input_size=6, hidden_sizes=(5,), num_classes=4, activation="tanh")
    decayed = models.build_model(spec.replace(weight_decay=1e-2), seed=0)
    decayed.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
    # dL/dW of the data loss alone, from the same weights without decay (tf.GradientTape).
    import tensorflow as tf

    plain = models.build_model(spec, seed=0)
    kernels = [layer.name for layer in plain.layers if layer.name.startswith(("dense", "logits"))]
    before = {name: plain.get_layer(name).get_weights()[0] for name in kernels}
    with tf.GradientTape() as tape:
        data_loss = loss(labels, plain(x))
    grads = tape.gradient(data_loss, [plain.get_layer(n).kernel for n in kernels])
    decayed.train_on_batch(x, labels)
    for name, g in zip(kernels, grads):
        want = before[name] - 0.1 * (np.asarray(g) + 1e-2 * before[name])
        np.testing.assert_allclose(decayed.get_layer(name).get_weights()[0], want, rtol=1e-12,
                                   atol=1e-15, err_msg=name)


def test_maxout_kernels_are_decayed_and_saved(tmp_path):
    spec = models.MLPSpec(input_size=4, hidden_sizes=(3,), num_classes=2, activation="maxout",
                          weight_decay=0.2)
    model = models.build_model(spec, seed=0)
    model(np.zeros((1, 4), "float32"))
    kernels = [model.get_layer("maxout_1").kernel, model.get_layer("logits").kernel]
    expected = sum(0.1 * float(np.sum(np.square(k.numpy()))) for k in kernels)
    assert float(sum(model.losses)) == pytest.approx(expected, rel=1e-6)  # float32 sums
    model.save(tmp_path / "m.keras")
    import tfcourse

    restored = tfcourse.load_model(tmp_path / "m.keras")
    restored(np.zeros((1, 4), "float32"))
    assert float(sum(restored.losses)) == pytest.approx(expected, rel=1e-6)


def test_weight_decay_must_not_be_negative():
    with pytest.raises(ValueError, match=r"`weight_decay` must be in \[0.0, inf\)\. "
                                         r"Received: weight_decay=-1e-05"):
        models.MLPSpec(weight_decay=-1e-5)
