"""The figures the seeds draw, number by number: gradient descent by batch size, the optimizer
family, PReLU/Maxout/tanh/linear collapse, zero and sigmoid initialization, the symmetry of
all-zero weights, under/overfitting and batch normalization's Figure 1.

References are written here in NumPy (gradient descent on least squares, the activations'
formulas, the maxout pieces) or are properties the seeds state (batch GD's cost never rises,
BN keeps a sigmoid's input in place, zero weights keep units equal)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_plots import png_size
from tfcourse import viz


@pytest.fixture(scope="module")
def fashion():
    from tfcourse import data

    return data.load("fashion_mnist", flatten=True, num_train=3000, num_test=1000)


def test_batch_gradient_descent_is_the_closed_form_and_never_rises():
    problem = viz.regression_problem(num_examples=256, seed=1)
    # 0.25 is exact in float32, the dtype of the optimizer's learning-rate variable.
    runs = viz.gradient_descent_runs(problem, batch_sizes=(None, 32, 1), iterations=60,
                                     learning_rate=0.25)
    batch, mini, single = runs[256], runs[32], runs[1]
    w = np.array([-2.0, -3.0])
    for step in range(1, 61):
        w = w - 0.25 * problem.x.T @ (problem.x @ w - problem.y) / 256  # plain GD, by hand
        # float64 throughout; only summation order differs.
        np.testing.assert_allclose(batch.positions[step], w, rtol=1e-12, err_msg=f"step {step}")
    assert np.all(np.diff(batch.full_costs) <= 0)  # "J must fall at every iteration"
    # Mini-batch costs J{t} go up and down; one-example steps even raise the full J.
    assert np.any(np.diff(mini.minibatch_costs) > 0) and np.any(np.diff(single.full_costs) > 0)
    # The mini-batch cost J{t} is noisier the smaller the batch.
    roughness = {run.batch_size: np.std(np.diff(np.log(run.minibatch_costs[-30:])))
                 for run in runs.values()}
    assert roughness[256] < roughness[32] < roughness[1]
    assert batch.label == "batch (m = 256)" and single.label == "stochastic (1)"


def test_gd_figure_from_the_command(tmp_path, capsys):
    from tfcourse.cli.main import main

    assert main(["plot", "gd", "--out", str(tmp_path), "--dpi", "40"]) == 0
    assert png_size(tmp_path / "gd.png") == (560, 220)
    out = capsys.readouterr().out
    assert "batch (m = 1024): J 5.775 -> " in out and "J rose at 0 of 150 iterations" in out


def test_optimizer_family_is_measured_not_asserted(tmp_path):
    measured = viz.family_measurements()
    assert list(measured) == list(viz.FAMILIES)
    gd = measured["gradient_descent"]
    # Plain GD: the step is lr * g exactly, so the ratios are the gradients' (float64).
    assert gd.step_ratio == pytest.approx(10.0, rel=1e-12)
    assert gd.damping == pytest.approx(1.0, rel=1e-12)
    for name, m in measured.items():
        fixes_step = m.step_ratio < 3.0       # both coordinates move alike
        fixes_gradient = m.damping < 0.7      # the flipping part is averaged away
        found = {(False, False): "plain (w - lr g)", (False, True): "fixes the gradient",
                 (True, False): "fixes the step size", (True, True): "fixes both"}
        assert found[(fixes_step, fixes_gradient)] == m.family, (name, m.step_ratio, m.damping)
    written = viz.plot_optimizer_family(measured, tmp_path / "family.png", dpi=40)
    assert png_size(written) == (520, 220)


def test_prelu_and_maxout_curves_are_their_formulas():
    x = np.linspace(-5, 5, 200)  # no point on a kink (0 for PReLU, -4/3 and 1.6 for Maxout)
    curves = viz.activation_curves(names=("prelu", "maxout"), x=x)
    np.testing.assert_allclose(curves["prelu"][0], np.maximum(0.25 * x, x), atol=1e-6)
    np.testing.assert_allclose(curves["prelu"][1], np.where(x > 0, 1.0, 0.25), atol=1e-6)
    pieces = np.array([w * x + b for w, b in viz.curves.MAXOUT_PIECES])
    np.testing.assert_allclose(curves["maxout"][0], pieces.max(0), atol=1e-12)  # float64 layer
    slopes = np.array([w for w, _ in viz.curves.MAXOUT_PIECES])[pieces.argmax(0)]
    np.testing.assert_allclose(curves["maxout"][1], slopes, atol=1e-12)
    assert "max(0.01x, x)" in viz.ACTIVATION_LABELS["leaky_relu"]
    assert "max(0.1x, x)" in viz.ACTIVATION_LABELS["leaky_relu_0.1"]


def test_tanh_is_two_sigmoids_and_the_slide_misprint_is_tanh_of_half_x():
    identity = viz.tanh_identity()
    x = identity["x"]
    np.testing.assert_allclose(identity["2 sigmoid(2x) - 1"], np.tanh(x), atol=1e-15)
    np.testing.assert_allclose(identity["slide: (1 - e^-x) / (1 + e^-x)"], np.tanh(x / 2),
                               atol=1e-15)
    assert np.max(np.abs(identity["slide: (1 - e^-x) / (1 + e^-x)"] - np.tanh(x))) > 0.2


def test_a_linear_activation_collapses_the_net_and_tanh_does_not():
    collapse = viz.linear_collapse()
    assert collapse.num_layers == 4
    assert collapse.max_difference < 1e-12  # float64: rounding only
    line = np.polyfit(collapse.x, collapse.deep, 1)
    np.testing.assert_allclose(np.polyval(line, collapse.x), collapse.deep, atol=1e-12)
    assert np.max(np.abs(collapse.nonlinear - np.polyval(np.polyfit(collapse.x,
                                                                    collapse.nonlinear, 1),
                                                         collapse.x))) > 0.01


def test_zero_weights_make_every_unit_equal_and_sigmoid_follows_lecture_10_2():
    results = viz.initialization_experiment(("tanh", "relu"), ("zeros", "He"), num_layers=4,
                                            units=50, num_examples=200)
    for activation in ("tanh", "relu"):
        zeros = results[(activation, "zeros")]
        assert np.all(zeros.stds == 0) and np.all(zeros.distinct_units == 1)
    assert np.all(results[("tanh", "He")].distinct_units == 50)
    # ReLU units that are 0 on every example are equal to each other; the rest differ.
    assert np.all(results[("relu", "He")].distinct_units >= 45)

    relu_he = results[("relu", "He")]
    edges = [e for _, e in relu_he.histograms]
    assert all(np.array_equal(edges[0], e) for e in edges)  # one x scale per net
    sigmoid = viz.initialization_experiment(("sigmoid",), ("N(0, 1)", "N(0, 0.01)", "Xavier"),
                                            num_layers=5, units=100, num_examples=300)
    assert np.all(sigmoid[("sigmoid", "N(0, 1)")].saturated_fraction > 0.4)  # below 0.01 or above 0.99
    small = sigmoid[("sigmoid", "N(0, 0.01)")]
    assert np.all(small.stds < 0.03) and np.allclose(small.means, 0.5, atol=0.01)
    assert np.all(sigmoid[("sigmoid", "Xavier")].stds > 0.1)


def test_zero_weights_stay_symmetric_through_training(fashion):
    (x, y), _ = fashion
    runs = viz.symmetry_experiment((x[:1000], y[:1000]), hidden_units=16, steps=60,
                                   record_every=20)
    assert list(runs["zeros"].steps) == [0, 20, 40, 60]
    assert np.all(runs["zeros"].spread == 0.0)
    assert np.all(runs["xavier"].spread > 0.05)
    assert runs["xavier"].train_accuracy[-1] > runs["zeros"].train_accuracy[-1] + 0.1


@pytest.mark.slow
def test_overfitting_and_its_remedies_on_fashion_mnist(fashion, tmp_path):
    (x, y), (x_test, y_test) = fashion
    curves = viz.fitting_curves((x[:500], y[:500]), (x_test, y_test), epochs=15, patience=2)
    small, large = curves["too small"], curves["too large"]
    assert large.train_accuracy[-1] > 0.97  # it learns the training set
    assert large.final_gap > 2 * small.final_gap  # ... and the gap grows
    assert small.train_accuracy[-1] < large.train_accuracy[-1] - 0.2  # underfits
    for remedy in ("dropout", "weight decay", "early stopping"):
        assert curves[remedy].final_gap < large.final_gap, remedy
    stopping = curves["early stopping"]
    assert stopping.stopped_epoch == int(np.argmin(stopping.validation_loss)) + 1
    assert len(stopping.train_loss) < 15
    written = viz.plot_fitting(curves, tmp_path / "fitting.png", dpi=40)
    assert png_size(written) == (600, 340)


@pytest.mark.slow
def test_batch_norm_figure_1_on_fashion_mnist(fashion, tmp_path):
    (x, y), (x_test, y_test) = fashion
    runs = viz.batch_norm_experiment((x, y), (x_test, y_test), steps=300, record_every=50)
    plain, normalized = runs[False], runs[True]
    assert list(normalized.steps) == [0, 50, 100, 150, 200, 250, 300]
    # With BN the sigmoid's input stays centred; without, N(0, 1) weights push it into the tail.
    assert np.all(np.abs(normalized.percentiles[1:, 1]) < 3.0)
    assert np.all(np.abs(plain.percentiles[:, 1]) > 3.0)
    assert normalized.test_accuracy[-1] > plain.test_accuracy[-1]
    # Moving averages (momentum 0.99) lag early; Algorithm 2's population statistics do not.
    assert normalized.population_accuracy[1] > normalized.test_accuracy[1] + 0.1
    assert plain.population_accuracy is None
    written = viz.plot_batch_norm(runs, tmp_path / "batch_norm.png", dpi=40)
    assert png_size(written) == (640, 200)
