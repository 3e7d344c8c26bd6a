"""tfcourse.training.train: batch GD, SGD and mini-batch GD as one helper (seeds 003/004)."""

import math

import keras
import numpy as np
import pytest

from tfcourse import optimizers
from tfcourse.training import MiniBatches, train, updates_per_epoch

M = 10


def _problem():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(M, 3)).astype("float64")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype("float64")
    return x, y


def _linear_model():
    # dtype explicit: Keras caches its global dtype policy at the first layer
    # built in the process, so the float64 fixture alone does not reach layers.
    model = keras.Sequential([keras.Input((3,), dtype="float64"),
                              keras.layers.Dense(1, kernel_initializer="zeros", dtype="float64")])
    model.compile(optimizer=optimizers.GradientDescent(0.1), loss="mse", jit_compile=False)
    return model


@pytest.mark.parametrize("batch_size", [M, 1, 3, 4, 5])
def test_takes_ceil_m_over_batch_updates_per_epoch(batch_size, float64):
    x, y = _problem()
    model = _linear_model()
    train(model, x, y, batch_size=batch_size, epochs=2, verbose=0)
    assert int(model.optimizer.iterations) == 2 * math.ceil(M / batch_size)
    assert updates_per_epoch(M, batch_size) == math.ceil(M / batch_size)


def test_batch_size_m_is_one_full_batch_gradient_step(float64):
    """Seed 003: mini-batch size = m is batch gradient descent (W := W - a dW)."""
    x, y = _problem()
    model = _linear_model()
    train(model, x, y, batch_size=M, epochs=1, verbose=0)
    # dL/dW of mean((xW + b - y)^2) at W = 0, b = 0
    residual = -y
    dW = 2 * x.T @ residual / M
    db = 2 * residual.mean()
    kernel, bias = (w.numpy() for w in model.weights)
    np.testing.assert_allclose(kernel, -0.1 * dW, rtol=1e-12)
    np.testing.assert_allclose(bias, [-0.1 * db], rtol=1e-12)


def test_every_example_once_per_epoch_and_seeded_order():
    x, y = _problem()
    batches = MiniBatches(x, y, 3, seed=7)
    epoch_0 = list(batches.epochs(0, 1))
    seen = np.concatenate([bx for bx, _ in epoch_0])
    assert len(batches) == 4 and [len(bx) for bx, _ in epoch_0] == [3, 3, 3, 1]
    assert sorted(map(tuple, seen)) == sorted(map(tuple, x))
    first = batches.order(0)
    assert not np.array_equal(batches.order(1), first)
    assert len(list(batches.epochs(2, 5))) == 3 * 4
    np.testing.assert_array_equal(MiniBatches(x, y, 3, seed=7).order(0), first)
    np.testing.assert_array_equal(MiniBatches(x, y, 3, shuffle=False).order(5), np.arange(M))


def test_resuming_at_an_epoch_sees_the_same_batches(float64):
    x, y = _problem()
    straight = _linear_model()
    train(straight, x, y, batch_size=3, epochs=3, seed=5, verbose=0)
    resumed = _linear_model()
    train(resumed, x, y, batch_size=3, epochs=1, seed=5, verbose=0)
    train(resumed, x, y, batch_size=3, epochs=3, initial_epoch=1, seed=5, verbose=0)
    np.testing.assert_array_equal(resumed.weights[0].numpy(), straight.weights[0].numpy())


def test_same_seed_same_weights_different_seed_different(float64):
    x, y = _problem()
    runs = []
    for seed in (0, 0, 1):
        model = _linear_model()
        history = train(model, x, y, batch_size=2, epochs=2, seed=seed, verbose=0,
                        validation_data=(x, y))
        assert set(history.history) >= {"loss", "val_loss"}
        runs.append(model.weights[0].numpy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_bad_input():
    x, y = _problem()
    model = _linear_model()
    with pytest.raises(ValueError, match=r"`batch_size` must be an integer in \[1, 10\]\. "
                                         r"Received: batch_size=11\. batch_size=10"):
        train(model, x, y, batch_size=11)
    with pytest.raises(TypeError, match=r"`batch_size` must be an integer\. Received: "
                                        r"batch_size=2.5"):
        train(model, x, y, batch_size=2.5)
    with pytest.raises(ValueError, match=r"train\(\) does not accept `validation_split`: "
                                         r"pass validation_data=.*Received: validation_split=0.2"):
        train(model, x, y, batch_size=2, validation_split=0.2)
    with pytest.raises(ValueError, match=r"`epochs` must be an integer in \[1, inf\)\. "
                                         r"Received: epochs=0"):
        train(model, x, y, batch_size=2, epochs=0)
    with pytest.raises(ValueError, match=r"`len\(y\)` must be an integer in \[10, 10\]\. "
                                         r"Received: len\(y\)=9"):
        train(model, x, y[:9], batch_size=2)
