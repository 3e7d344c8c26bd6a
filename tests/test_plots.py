"""tfcourse.viz and `tfcourse plot`: the numbers behind each picture, then the PNGs.

References are closed forms and NumPy transcriptions written here (Beale's
gradient, GD on the long valley, the activations' derivatives, seed 003's
decay formulas and EWA loop), never the code under test.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys

import numpy as np
import pytest

from tests.monitoring_helpers import read_events
from tfcourse import viz

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path) -> tuple[int, int]:
    """(width, height) from the PNG header, after checking the signature and IHDR chunk."""
    with open(path, "rb") as file:
        head = file.read(24)
    assert head[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    from PIL import Image

    with Image.open(path) as image:
        image.verify()  # checks the chunks' CRCs
    return width, height


def beale_gradient(x, y):
    """d/dx and d/dy of Beale's function, by hand."""
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3
    dx = 2 * a * (y - 1) + 2 * b * (y**2 - 1) + 2 * c * (y**3 - 1)
    dy = 2 * a * x + 2 * b * 2 * x * y + 2 * c * 3 * x * y**2
    return np.array([dx, dy])


@pytest.fixture(scope="module")
def main():
    from tfcourse.cli import main as cli

    return cli.main


def test_adam_reaches_beales_minimum_in_the_plotted_steps():
    surface = viz.get_surface("beale")
    (adam,) = viz.optimizer_paths(surface, ["adam"]).values()
    assert adam.stopped_at is None and len(adam.positions) == surface.steps + 1
    np.testing.assert_allclose(adam.positions[0], (1.0, 1.5))
    assert np.linalg.norm(adam.final - np.array([3.0, 0.5])) < 1e-2
    assert adam.losses[-1] < 1e-4


@pytest.mark.parametrize("name", ["momentum", "rmsprop", "adam"])
def test_paths_are_the_real_optimizers_on_the_real_gradient(name):
    import keras

    from tfcourse import optimizers

    path = viz.optimizer_path("beale", name, learning_rate=0.01, steps=6)
    optimizer = optimizers.get(name, learning_rate=0.01)
    point = keras.Variable(np.array([1.0, 1.5]), dtype="float64")
    for step in range(1, 7):
        gradient = beale_gradient(*keras.ops.convert_to_numpy(point))
        optimizer.apply([keras.ops.convert_to_tensor(gradient, "float64")], [point])
        # float64 throughout; the two gradients differ only by rounding order.
        np.testing.assert_allclose(path.positions[step], keras.ops.convert_to_numpy(point),
                                   rtol=1e-12, err_msg=f"{name} step {step}")


def test_gradient_descent_on_the_long_valley_matches_its_closed_form():
    # f = x^2/20 + y^2, w <- w - lr grad: x_k = x_0 (1 - lr/10)^k, y_k = y_0 (1 - 2 lr)^k.
    path = viz.optimizer_path("long_valley", "gradient_descent", learning_rate=0.95, steps=30)
    k = np.arange(31)
    np.testing.assert_allclose(path.positions[:, 0], -7.0 * 0.905**k, rtol=1e-5)  # lr is float32
    np.testing.assert_allclose(path.positions[:, 1], 2.0 * (-0.9) ** k, rtol=1e-5)
    assert np.all(np.diff(np.sign(path.positions[:, 1])) != 0)  # the zig-zag across the valley


def test_too_large_a_learning_rate_diverges_and_the_plot_says_so(tmp_path):
    surface = viz.get_surface("beale")
    paths = viz.optimizer_paths(surface, ["gradient_descent", "adam"], learning_rates=0.1)
    gd = paths["gradient_descent"]
    # One step from (1, 1.5) with lr 0.1 lands at (-2.45, -7.75), far outside the plot.
    np.testing.assert_allclose(gd.positions[1], np.array([1.0, 1.5]) - 0.1 * beale_gradient(1.0, 1.5),
                               rtol=1e-6)
    assert gd.stopped_at == 1 and gd.label == "gradient_descent (lr=0.1), diverged at step 1"
    assert paths["adam"].stopped_at is None
    written = viz.plot_optimizer_paths(surface, paths, tmp_path / "beale.png", dpi=50)
    assert png_size(written) == (650, 275)  # 13 x 5.5 inches at 50 dpi


def test_non_finite_paths_stop_without_crashing():
    path = viz.optimizer_path("rosenbrock", "gradient_descent", learning_rate=1.0, steps=50)
    assert path.stopped_at is not None and np.all(np.isfinite(path.positions))
    assert "diverged at step" in path.label


def test_the_saddle_is_escaped_faster_by_adaptive_methods():
    paths = viz.optimizer_paths("saddle", ["gradient_descent", "rmsprop", "adam"])
    for path in paths.values():
        assert path.stopped_at is not None and "escaped at step" in path.label
        assert abs(path.final[1]) > 1.5  # it left along y, the descending direction
    # GD's y grows by (1 + 2 lr) per step from 0.001: log(1500)/log(1.06) = 126 steps.
    assert paths["gradient_descent"].stopped_at == 126
    assert paths["rmsprop"].stopped_at < 50 and paths["adam"].stopped_at < 50


def test_every_surface_draws_with_every_optimizer(main, tmp_path, capsys):
    for surface in ("rosenbrock", "long_valley", "saddle"):
        assert main(["plot", "optimizers", "--surface", surface, "--steps", "30",
                     "--out", str(tmp_path), "--dpi", "40"]) == 0
        assert png_size(tmp_path / f"optimizers_{surface}.png") == (520, 220)
    out = capsys.readouterr().out
    from tfcourse import optimizers

    for name in optimizers.ALL:
        assert f"  {name} (lr=" in out


def test_convention_reaches_the_optimizers():
    paths = viz.optimizer_paths("long_valley", ["momentum", "adam"], convention="tf1", steps=3)
    assert {p.convention for p in paths.values()} == {"tf1"}
    course = viz.optimizer_path("long_valley", "momentum", learning_rate=0.1, steps=3)
    # course momentum averages (v = b v + (1 - b) g), TF1 accumulates (v = m v + g): different paths.
    assert not np.allclose(course.positions, paths["momentum"].positions)


def test_activation_derivatives_match_their_formulas(main, tmp_path):
    x = np.linspace(-6, 6, 601)
    curves = viz.activation_curves(
        names=("sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu_0.1", "elu"), x=x)
    s = 1 / (1 + np.exp(-x))
    want = {
        "sigmoid": (s, s * (1 - s)),
        "tanh": (np.tanh(x), 1 - np.tanh(x) ** 2),
        "relu": (np.maximum(x, 0), (x > 0).astype(float)),
        "leaky_relu": (np.where(x > 0, x, 0.01 * x), np.where(x > 0, 1.0, 0.01)),
        "leaky_relu_0.1": (np.where(x > 0, x, 0.1 * x), np.where(x > 0, 1.0, 0.1)),
        "elu": (np.where(x > 0, x, np.exp(x) - 1), np.where(x > 0, 1.0, np.exp(x))),
    }
    assert list(curves) == list(want)
    for name, (f, df) in want.items():
        # Keras computes activations in float32 and their slopes are stored as float32.
        np.testing.assert_allclose(curves[name][0], f, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(curves[name][1], df, atol=1e-6, err_msg=name)
    assert curves["sigmoid"][1].max() == pytest.approx(0.25) and curves["sigmoid"][1][0] < 0.0025
    assert main(["plot", "activations", "--out", str(tmp_path)]) == 0
    assert png_size(tmp_path / "activations.png") == (1400, 1000)


@pytest.fixture(scope="module")
def init_results():
    return viz.initialization_experiment(num_layers=10, units=200, num_examples=300)


def test_initialization_experiment_shows_the_seeds_four_cases(init_results):
    results = init_results
    assert len(results) == 10  # tanh and ReLU x zeros and the seed's four
    tanh_small, tanh_one = results[("tanh", "N(0, 0.01)")], results[("tanh", "N(0, 1)")]
    # N(0, 0.01): each layer scales the std by about 0.01 sqrt(200) = 0.14, so 10 layers ~1e-8.
    assert tanh_small.stds[-1] < 1e-6 < tanh_small.stds[0]
    assert np.all(tanh_one.saturated_fraction > 0.7)  # N(0, 1): pinned at +-1
    xavier = results[("tanh", "Xavier")]
    assert 0.1 < xavier.stds[-1] < 0.5 and np.all(xavier.saturated_fraction < 0.05)
    # ReLU halves the variance with Xavier (std ratio 2^-4.5 over 9 layers) and keeps it with He.
    relu_xavier, relu_he = results[("relu", "Xavier")], results[("relu", "He")]
    assert relu_xavier.stds[-1] / relu_xavier.stds[0] < 0.15
    assert 0.5 < relu_he.stds[-1] / relu_he.stds[0] < 2.0
    for (activation, _), stats in results.items():
        for layer, (counts, _) in enumerate(stats.histograms):
            kept = 1.0 if activation == "tanh" else 1.0 - stats.saturated_fraction[layer]
            assert counts.sum() == round(300 * 200 * kept)


def test_init_plot_has_one_row_per_case(init_results, tmp_path):
    # `tfcourse plot init` runs the full-size experiment (10 x 500 units, 1000 examples);
    # the drawing is the same, so the test draws the smaller one.
    written = viz.plot_initialization(init_results, tmp_path / "init.png", dpi=40)
    assert png_size(written) == (760, 404)  # 2 blocks x 5 shown layers, 5 rows


def test_decay_curves_follow_seed_003(main, tmp_path):
    curves = viz.decay_curves(initial_learning_rate=0.2, epochs=12, steps_per_epoch=4)
    assert list(curves) == list(viz.DECAY_RULES)
    steps = np.arange(48)
    epoch = steps // 4 + 1
    want = {
        "inverse_time": 0.2 / (1 + epoch),          # 0.1, 0.0667, 0.05, 0.04 (the seed's table)
        "exponential": 0.95**epoch * 0.2,
        "inverse_sqrt_epoch": 0.2 / np.sqrt(epoch),
        "inverse_sqrt_step": 0.2 / np.sqrt(steps + 1),
        "staircase": 0.2 * 0.5 ** ((epoch - 1) // 5),
    }
    for name, rates in want.items():
        axis, got, _ = curves[name]
        np.testing.assert_allclose(got, rates, rtol=1e-6, err_msg=name)  # schedules run in float32
    np.testing.assert_allclose(curves["inverse_time"][1][[0, 4, 8, 12]], [0.1, 0.2 / 3, 0.05, 0.04],
                               rtol=1e-6)
    logdir = tmp_path / "logs"
    assert main(["plot", "decay", "--out", str(tmp_path), "--logdir", str(logdir)]) == 0
    assert png_size(tmp_path / "decay.png") == (1000, 500)
    (step, image), = read_events(str(logdir / "plots"))["decay"]
    import tensorflow as tf

    width, height = (int(v) for v in tf.make_ndarray(image.tensor)[:2])
    assert (step, width, height) == (0, 1000, 500)


def test_ewa_curves_follow_the_formula(main, tmp_path):
    values = viz.temperature_series(days=100, seed=3)
    curves = viz.ewa_curves(values)
    for beta in (0.9, 0.98, 0.5):
        v, plain, corrected = 0.0, [], []
        for t, theta in enumerate(values, start=1):
            v = beta * v + (1 - beta) * theta
            plain.append(v)
            corrected.append(v / (1 - beta**t))
        np.testing.assert_allclose(curves[(beta, False)], plain, rtol=1e-12)
        np.testing.assert_allclose(curves[(beta, True)], corrected, rtol=1e-12)
        assert curves[(beta, True)][0] == pytest.approx(values[0])
    assert curves[(0.98, False)][0] == pytest.approx(0.02 * values[0])  # the start-up bias
    assert main(["plot", "ewa", "--out", str(tmp_path)]) == 0
    assert png_size(tmp_path / "ewa.png") == (1200, 500)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--optimizers", "adamm"], "error: `optimizer` must be one of"),
        (["--steps", "0"], "error: `steps` must be an integer in [1, inf). Received: steps=0"),
        (["--learning-rate", "-1"], "error: `learning_rate` must be in (0.0, inf). Received: learning_rate=-1.0"),
    ],
    ids=["unknown_optimizer", "steps", "learning_rate"],
)
def test_bad_plot_options_give_one_error_line(main, tmp_path, capsys, argv, message):
    assert main(["plot", "optimizers", "--out", str(tmp_path), *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_importing_viz_loads_neither_matplotlib_nor_tensorflow():
    code = ("import sys, tfcourse.viz\n"
            "print(sorted(m for m in ('matplotlib', 'tensorflow', 'keras') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
