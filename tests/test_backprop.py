"""tfcourse.scratch and `tfcourse backprop`: seed 004's backpropagation against its numbers,
central differences, tf.GradientTape and a Keras twin trained step by step."""

from __future__ import annotations

import numpy as np
import pytest

from tfcourse import scratch
from tfcourse.scratch import layers as nodes
from tfcourse.scratch.twin import GRADIENT_TOLERANCE, LOSS_TOLERANCE, NUMERICAL_TOLERANCE


def central_difference(function, x, h=1e-6):
    """d function / dx entrywise by (f(x + h) - f(x - h)) / 2h; a reference written here."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        grad[index] = (function(up) - function(down)) / (2 * h)
    return grad


def test_linear_graph_has_the_seeds_numbers():
    g = scratch.linear_graph()  # w = -2, x = 5, b = 3
    assert (g.g, g.f) == (-10.0, -7.0)
    assert (g.df_db, g.df_dg, g.df_dw, g.df_dx) == (1.0, 1.0, 5.0, -2.0)


def test_sigmoid_node_backward_is_the_seeds_formula_and_tensorflows():
    import tensorflow as tf

    x = np.array([-30.0, -2.0, 0.0, 0.5, 4.0, 30.0])
    dout = np.array([1.0, -0.5, 2.0, 1.0, 3.0, 1.0])
    node = scratch.Sigmoid()
    y = node.forward(x)
    dx = node.backward(dout)
    np.testing.assert_array_equal(dx, dout * (1.0 - y) * y)  # the seed's line, verbatim
    tensor = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        out = tf.sigmoid(tensor)
    np.testing.assert_allclose(y, out.numpy(), rtol=1e-15, atol=1e-300)
    # float64 both; TF's sigmoid gradient is y (1 - y) too. Where y rounds to within
    # 1e-13 of 1 (x = 30), 1 - y keeps only ~3 digits, hence the absolute 1e-15.
    np.testing.assert_allclose(dx, tape.gradient(out, tensor, output_gradients=dout).numpy(),
                               rtol=1e-14, atol=1e-15)


def test_sigmoid_chain_formula_equals_nodes_and_gradient_tape():
    import tensorflow as tf

    chain = scratch.sigmoid_chain()
    for name in ("w1", "w2"):
        assert chain.by_nodes[name] == pytest.approx(chain.by_formula[name], rel=1e-14)
    w1, w2 = tf.Variable(chain.w1, dtype=tf.float64), tf.Variable(chain.w2, dtype=tf.float64)
    with tf.GradientTape() as tape:
        error = (tf.sigmoid(w1 * tf.sigmoid(w2 * chain.z2)) - chain.t) ** 2
    d_w1, d_w2 = tape.gradient(error, [w1, w2])
    assert float(error) == pytest.approx(chain.error, rel=1e-14)
    assert chain.by_formula["w1"] == pytest.approx(float(d_w1), rel=1e-13)
    assert chain.by_formula["w2"] == pytest.approx(float(d_w2), rel=1e-13)


def test_mean_squared_error_node_on_the_seeds_example():
    node = scratch.MeanSquaredError()
    assert node.forward([0.1, 0.9], [1.0, 0.0]) == pytest.approx(0.81, abs=1e-15)
    np.testing.assert_allclose(node.backward(), [[-0.9, 0.9]], rtol=1e-15)
    assert nodes.softmax([1.5, 3.7]) == pytest.approx([0.0998, 0.9002], abs=5e-5)
    assert nodes.cross_entropy_error([0.1, 0.9], [1.0, 0.0]) == pytest.approx(2.302584, abs=1e-6)


def test_every_node_backward_matches_central_differences():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    W, b = rng.standard_normal((3, 5)), rng.standard_normal(5)
    dout = rng.standard_normal((4, 5))
    # Affine: L = sum(dout * (x W + b)) has dL/dx = dout W^T etc.
    affine = scratch.Affine(W, b)
    affine.forward(x)
    dx = affine.backward(dout)
    np.testing.assert_allclose(dx, central_difference(lambda v: np.sum(dout * (v @ W + b)), x),
                               rtol=1e-7, atol=1e-8)  # central differences: O(h^2) + rounding
    np.testing.assert_allclose(affine.dW, central_difference(lambda v: np.sum(dout * (x @ v + b)),
                                                             W), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(affine.db, central_difference(lambda v: np.sum(dout * (x @ W + v)),
                                                             b), rtol=1e-7, atol=1e-8)
    relu = scratch.ReLU()
    z = x + 0.05 * np.sign(x)  # keep away from the kink at 0
    relu.forward(z)
    d_relu = relu.backward(dout[:, :3])
    np.testing.assert_allclose(d_relu, central_difference(
        lambda v: np.sum(dout[:, :3] * np.maximum(v, 0)), z), rtol=1e-7, atol=1e-8)
    t = np.eye(5)[[0, 3, 1, 4]]
    loss = scratch.SoftmaxWithLoss()
    loss.forward(dout, t)
    np.testing.assert_allclose(loss.backward(), central_difference(
        lambda v: scratch.SoftmaxWithLoss().forward(v, t), dout), rtol=1e-7, atol=1e-9)


def test_two_layer_net_gradients_three_ways(float64):
    rng = np.random.default_rng(1)
    x, t = rng.standard_normal((3, 6)), np.eye(4)[[0, 2, 3]]
    for activation in ("sigmoid", "relu"):
        net = scratch.TwoLayerNet(6, 5, 4, activation=activation, weight_init_std=0.5, seed=2)
        checks = scratch.gradient_checks(net, x, t)
        assert [c.parameter for c in checks] == ["W1", "b1", "W2", "b2"]
        for check in checks:
            assert check.backprop_vs_numerical <= NUMERICAL_TOLERANCE, (activation, check)
            assert check.backprop_vs_tape <= GRADIENT_TOLERANCE, (activation, check)


def test_gradient_check_catches_a_wrong_backward(monkeypatch):
    rng = np.random.default_rng(3)
    x, t = rng.standard_normal((3, 6)), np.eye(4)[[1, 0, 3]]
    net = scratch.TwoLayerNet(6, 5, 4, weight_init_std=0.5, seed=0)
    # A classic slip: forget the (1 - y) factor of the sigmoid's derivative.
    monkeypatch.setattr(nodes.Sigmoid, "backward", lambda self, dout: dout * self.out)
    checks = scratch.gradient_checks(net, x, t)
    failed = {c.parameter for c in checks if not c.passed}
    assert failed == {"W1", "b1"}  # the layers below the sigmoid


def test_numpy_net_and_keras_twin_train_step_for_step():
    from tfcourse import data

    (x, y), (x_test, y_test) = data.load("synthetic", flatten=True, num_train=400, num_test=100)
    run = scratch.train_twins(x, scratch.one_hot(y, 10), x_test, scratch.one_hot(y_test, 10),
                              hidden_size=16, learning_rate=0.5, batch_size=50, steps=40)
    assert len(run.numpy_losses) == len(run.keras_losses) == 40
    for step, (ours, theirs) in enumerate(zip(run.numpy_losses, run.keras_losses), start=1):
        assert abs(ours - theirs) <= LOSS_TOLERANCE * max(1.0, abs(ours)), f"step {step}"
    assert run.passed
    assert run.numpy_losses[-5:].mean() < run.numpy_losses[:5].mean() - 0.1  # it learns
    assert run.numpy_accuracy == pytest.approx(run.keras_accuracy, abs=1 / 100)  # argmax ties
    assert run.settings["steps"] == 40


def test_backprop_command_prints_the_seeds_numbers_and_the_table(tmp_path, capsys):
    from tests.test_plots import png_size
    from tfcourse.cli.main import main

    out = tmp_path / "bp.png"
    code = main(["backprop", "--dataset", "synthetic", "--num-train", "300", "--steps", "15",
                 "--hidden", "8", "--batch-size", "30", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "g = wx = -10, f = g + b = -7" in captured.out
    assert "df/dw = x = 5, df/dx = w = -2" in captured.out
    assert "held at 15/15 steps" in captured.out
    assert png_size(out) == (1200, 480)
    # Only tfcourse's own progress lines on stderr (no TensorFlow log, no warning).
    assert all(line.startswith("tfcourse ") for line in captured.err.splitlines()), captured.err


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"`params\['W1'\]` must have shape \(6, 5\)\. "
                                         r"Received: shape \(5, 6\)"):
        scratch.TwoLayerNet(6, 5, 4, params={"W1": np.zeros((5, 6)), "b1": np.zeros(5),
                                             "W2": np.zeros((5, 4)), "b2": np.zeros(4)})
    with pytest.raises(ValueError, match="`activation`"):
        scratch.TwoLayerNet(6, 5, 4, activation="tanh")
    from tfcourse.scratch.twin import batch_indices

    with pytest.raises(ValueError, match=r"`batch_size` must be"):
        batch_indices(10, 11, 1)
