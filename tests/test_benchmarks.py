"""Smoke tests of the speed benchmarks: each runs with tiny sizes and writes valid JSON.

No timing is asserted here (the figures of a tiny run mean nothing, and the
machine is shared): the speed targets live in benchmarks/README.md. What is
checked is that each benchmark runs end to end, reports positive figures
with median <= max and min <= median, and records the machine it ran on.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # benchmarks/ is a folder of the repository, not installed

from benchmarks import MODULES, SUITE, __main__ as suite, matmul  # noqa: E402
from tfcourse.labs.keras_tier import steps_per_execution_for  # noqa: E402


def load(results_dir: Path, name: str) -> dict:
    record = json.loads((results_dir / f"{name}.json").read_text())
    assert record["benchmark"] == name
    machine = record["machine"]
    assert machine["cores"] >= 1 and machine["tensorflow"] and machine["keras"] and machine["cpu"]
    assert record["settings"]["quick"] is True
    return record["figures"]


def check_stats(stats: dict) -> None:
    assert stats["n"] == len(stats["values"]) >= 1
    assert 0 < stats["min"] <= stats["median"] <= stats["max"]


def test_step_flops_counts_eight_matmuls():
    # forward 2B(784*256 + 256*256 + 256*10), the same again for dW and for dH, but no dH
    # for the first layer (its input is the data)
    forward = 2 * 100 * (784 * 256 + 256 * 256 + 256 * 10)
    assert matmul.step_flops(100) == 3 * forward - 2 * 100 * 784 * 256


@pytest.mark.parametrize("steps, requested, expected",
                         [(550, 50, 50), (53, 50, 1), (10, 5, 5), (12, 50, 12), (12, 5, 4),
                          (7, 1, 1)])
def test_steps_per_execution_divides_the_epoch(steps, requested, expected):
    assert steps_per_execution_for(steps, requested) == expected


def test_matmul_and_startup(tmp_path):
    suite.main(["matmul", "startup", "--quick", "--results-dir", str(tmp_path)])
    figures = load(tmp_path, "matmul")
    check_stats(figures["peak"]["64"])
    floor = figures["step_floor"]["8"]
    check_stats(floor["step_seconds"])
    assert floor["flops_per_step"] == matmul.step_flops(8)
    check_stats(figures["step_chain"]["8"]["step_seconds"])
    figures = load(tmp_path, "startup")
    for name in ("python -c pass", "import tfcourse", "tfcourse --help", "tfcourse version",
                 "tfcourse compare, first line", "tfcourse run, first line"):
        check_stats(figures[name])
    assert figures["modules_loaded_by_import_tfcourse"] == []


def test_labs_throughput(tmp_path, capsys):
    suite.main(["labs", "--quick", "--results-dir", str(tmp_path)])
    figures = load(tmp_path, "labs_throughput")
    row = figures["batch"]["10"]
    assert set(row["samples_per_second"]) == {"legacy", "port", "keras", "keras, Keras' defaults"}
    for stats in row["samples_per_second"].values():
        check_stats(stats)
    assert row["keras_over_legacy"] == pytest.approx(
        row["samples_per_second"]["keras"]["median"] / row["samples_per_second"]["legacy"]["median"])
    assert "keras / legacy" in capsys.readouterr().out


def test_optimizers_and_tuner(tmp_path):
    suite.main(["optimizers", "tuner", "--quick", "--results-dir", str(tmp_path)])
    figures = load(tmp_path, "optimizers")
    assert set(figures) == {"gradient_descent/keras", "adam/keras"}
    # Keras' defaults take the generic step: the kernel's float32 1 - 0.999 differs.
    assert figures["adam/keras"]["fused_kernel"] is None
    for row in figures.values():
        for stats in (*row["update_us"].values(), *row["fit_samples_per_second"].values()):
            check_stats(stats)
    figures = load(tmp_path, "tuner")
    assert figures["trials"] == 1
    check_stats(figures["trials_per_hour"])


def test_suite_lists_every_benchmark_and_rejects_unknown_names():
    assert set(SUITE) == set(MODULES)
    result = subprocess.run([sys.executable, "-m", "benchmarks", "nonsense"], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "unknown benchmark 'nonsense'; choose from startup, matmul" in result.stderr


def test_fast_fit_defaults_keep_every_step_loss():
    """The Keras tier's steps_per_execution (clipped to a divisor of the epoch) changes no loss.

    7 steps per epoch with 5 requested: Keras runs whole executions of 5, so
    its first "epoch" would train 10 steps and the epoch ends (test accuracy,
    Keras' epoch loss) would fall on the wrong steps; the clip to 1 keeps them
    where the program has them (without it, test_accuracy[0] here is measured
    after 10 steps and differs).
    """
    import dataclasses

    from tfcourse.labs import get, runs

    lab = dataclasses.replace(get("mnist_nn_gd"), batch_size=10)
    data = runs.load_data("synthetic", 75)
    assert data.num_train // lab.batch_size == 7
    one = runs.run_keras(lab, data, epochs=2, verbose=0, dense="tf1", steps_per_execution=1)
    five = runs.run_keras(lab, data, epochs=2, verbose=0, dense="tf1", steps_per_execution=5)
    fifty = runs.run_keras(lab, data, epochs=2, verbose=0, dense="tf1")
    assert len(one.step_losses) == 14
    for run in (five, fifty):
        np.testing.assert_array_equal(run.step_losses, one.step_losses)
        assert run.test_accuracy == one.test_accuracy
        assert run.history.history["loss"] == one.history.history["loss"]


def test_tfcourse_bench_runs_the_suite(tmp_path):
    from tfcourse.cli import bench

    assert bench.NAMES == SUITE  # the CLI offers exactly the suite's benchmarks
    assert bench.benchmarks_folder() == REPO / "benchmarks"
    result = subprocess.run([sys.executable, "-m", "tfcourse", "bench", "startup", "--quick",
                             "--results-dir", str(tmp_path)], capture_output=True, text=True)
    if "invalid choice: 'bench'" in result.stderr:
        pytest.fail("tfcourse.cli.main.SUBCOMMANDS lacks 'bench'")
    assert result.returncode == 0, result.stderr
    assert "tfcourse --help" in result.stdout
    assert load(tmp_path, "startup")["modules_loaded_by_import_tfcourse"] == []


def test_keras_tier_profile_lists_the_steps_operations(tmp_path):
    from benchmarks import keras_tier_profile

    keras_tier_profile.main([], quick=True, results_dir=tmp_path)
    figures = load(tmp_path, "keras_tier_profile")
    types = {op["type"] for op in figures["ops"]}
    assert {"ResourceApplyAdam", "SoftmaxCrossEntropyWithLogits"} <= types  # the step's own ops
    times = [op["self_us"] for op in figures["ops"]]
    assert times == sorted(times, reverse=True) and times[0] > 0
    assert figures["total_self_us_per_step"] == pytest.approx(sum(times) / figures["steps"])
