"""Two runs with the same seed write the same TensorBoard values (issue 9, item 2).

``tfcourse run LAB --tier keras --seed S`` twice (fresh processes, fresh log
folders) on a small Fashion-MNIST split of the dropout lab: every scalar the
runs log (Keras' epoch curves, the test accuracy, the per-step loss, the
activation statistics and gradient norms, the learning rate) is read back
from the event files and compared bit for bit, by (file kind, tag, step).
Wall times and file names differ between runs and are not compared. A run
with another seed must log other values, so the comparison can fail.
"""

import glob
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

LAB = "mnist_nn_dropout"
MAIN = "import sys; from tfcourse.cli.main import main; sys.exit(main(sys.argv[1:]))"


def _run(logdir, seed):
    argv = ["run", LAB, "--tier", "keras", "--dataset", "fashion_mnist", "--epochs", "2",
            "--max-examples", "400", "--seed", str(seed), "--logdir", str(logdir), "--quiet"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run([sys.executable, "-c", MAIN, *argv], capture_output=True, text=True,
                            env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return logdir


def _scalars(logdir) -> dict:
    """{(folder, tag, step): value bytes} of every scalar in the run's event files."""
    import tensorflow as tf

    values = {}
    for path in glob.glob(str(Path(logdir) / "**" / "events.out.tfevents.*"), recursive=True):
        folder = os.path.relpath(os.path.dirname(path), logdir)
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name not in ("scalars", ""):
                    continue
                array = (tf.make_ndarray(value.tensor) if value.HasField("tensor")
                         else np.float32(value.simple_value))
                key = (folder, value.tag, event.step)
                assert key not in values, f"{key} logged twice in one run"
                values[key] = np.asarray(array).tobytes()
    return values


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    return _scalars(_run(tmp_path_factory.mktemp("first"), seed=4))


def test_same_seed_logs_identical_scalars(first, tmp_path):
    second = _scalars(_run(tmp_path, seed=4))
    tags = {tag for _, tag, _ in first}
    # the curves a user looks at are all there (and compared)
    assert {"epoch_loss", "epoch_accuracy", "epoch_test_accuracy", "step_loss",
            "gradient_norm/global", "activations/L1/p50"}  # L1 = relu(X W1 + b1) <= tags
    assert sum(tag == "step_loss" for _, tag, _ in first) == 8  # 2 epochs x 4 steps
    assert sorted(second) == sorted(first)
    different = sorted(key for key in first if first[key] != second[key])
    assert not different, f"values differ between two runs of seed 4: {different[:10]}"


def test_another_seed_logs_other_values(first, tmp_path):
    other = _scalars(_run(tmp_path, seed=5))
    assert sorted(other) == sorted(first)
    step_losses = [key for key in first if key[1] == "step_loss"]
    assert any(first[key] != other[key] for key in step_losses)
