"""``tfcourse compare`` killed part-way resumes with the same command (issue 9, item 1).

Each run is a subprocess of the real CLI on a small Fashion-MNIST split
(``--epochs 3 --max-examples 500``: 5 steps of 100 per epoch) of the dropout
lab, so the Keras tier's resume must also restore the dropout seed state.
Kills are real SIGKILLs. The resumed comparison's JSON must equal an
uninterrupted one's exactly (per-step losses, accuracies, checks), seconds
aside (wall time).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

LAB = "mnist_nn_dropout"

WRAPPER = """
import os, signal, sys
from tfcourse.labs import comparison, keras_tier
# batch hooks after every step, so the kill lands mid-epoch
keras_tier.FIT_DEFAULTS["steps_per_execution"] = 1
kill_at = int(os.environ.get("KILL_AT_KERAS_STEP", "0"))
if kill_at:
    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    keras_tier.EpochTimer.on_train_batch_end = on_train_batch_end
if os.environ.get("KILL_IN_PORT"):  # the legacy tier is saved, the port tier not yet
    def run_port(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    comparison.run_port = run_port
if os.environ.get("FORBID_LEGACY"):  # a resumed compare must not run the program again
    def run_legacy(*args, **kwargs):
        raise AssertionError("the legacy tier ran again")
    comparison.run_legacy = run_legacy
from tfcourse.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def _compare(logdir, *flags, **env):
    argv = ["compare", LAB, "--dataset", "fashion_mnist", "--epochs", "3", "--max-examples",
            "500", "--logdir", str(logdir), "--no-plot", *flags]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "",
                   **{k: str(v) for k, v in env.items()}}
    return subprocess.run([sys.executable, "-c", WRAPPER, *argv], capture_output=True,
                          text=True, env=environment, timeout=300)


def _result(logdir):
    result = json.loads((Path(logdir) / LAB / "compare" / "compare.json").read_text())
    for row in result["epochs_table"]:
        for key in [k for k in row if k.startswith("seconds_")]:
            row.pop(key)
    return result


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("whole")
    result = _compare(logdir)
    assert result.returncode == 0, result.stderr[-3000:]
    return logdir


def test_killed_compare_resumes_to_the_uninterrupted_result(uninterrupted, tmp_path):
    resume = tmp_path / LAB / "compare" / "resume"
    # killed in epoch 2 of the Keras tier (step 7 of 15): legacy and port are saved
    killed = _compare(tmp_path, KILL_AT_KERAS_STEP=7)
    assert killed.returncode == -signal.SIGKILL
    assert sorted(p.name for p in resume.iterdir()) == [
        "keras-seed0", "legacy.json", "legacy.npz", "port-seed0.json"]
    again = _compare(tmp_path, FORBID_LEGACY=1)
    assert again.returncode == 0, again.stderr[-3000:]
    assert (f"Resuming from {resume}: legacy done, port (seed 0) done, keras (seed 0) after "
            "epoch 1 (--overwrite starts afresh)") in again.stderr
    expected = _result(uninterrupted)
    resumed = _result(tmp_path)
    assert resumed["step_losses"] == expected["step_losses"]
    assert len(resumed["step_losses"]["keras"]) == 15
    assert resumed == expected
    # TensorBoard: the killed run's events are cut back to epoch 1, so the curves of the
    # resumed Keras tier are those of an uninterrupted one (no step twice, none going back)
    import sys as _sys

    _sys.path.insert(0, str(Path(__file__).parent))
    from monitoring_helpers import read_events

    for folder in ("train", "validation"):
        got = read_events(str(tmp_path / LAB / "keras" / folder))
        want = read_events(str(uninterrupted / LAB / "keras" / folder))
        for tag in ("epoch_loss", "step_loss", "evaluation_loss_vs_iterations"):
            if tag in want:
                assert [step for step, _ in got[tag]] == [step for step, _ in want[tag]], tag


def test_killed_after_the_legacy_tier_does_not_run_it_again(uninterrupted, tmp_path):
    killed = _compare(tmp_path, KILL_IN_PORT=1)
    assert killed.returncode == -signal.SIGKILL
    resume = tmp_path / LAB / "compare" / "resume"
    assert sorted(p.name for p in resume.iterdir()) == ["legacy.json", "legacy.npz"]
    again = _compare(tmp_path, FORBID_LEGACY=1)
    assert again.returncode == 0, again.stderr[-3000:]
    assert _result(tmp_path) == _result(uninterrupted)


def test_other_settings_are_refused_unless_overwrite(uninterrupted, tmp_path):
    shutil.copytree(uninterrupted, tmp_path / "run")
    uninterrupted = tmp_path / "run"
    other = _compare(uninterrupted, "--seed", "3", FORBID_LEGACY=1)
    assert other.returncode == 1
    errors = [line for line in other.stderr.splitlines() if line.startswith("error:")]
    resume = uninterrupted / LAB / "compare" / "resume"
    assert errors == [f"error: Cannot load the checkpoint {resume / 'legacy.json'}: it was "
                      "written by a run with seed=0 and this run has seed=3; run with the same "
                      "settings to resume, or --overwrite to start afresh"]
    # only the Keras tier depends on its Dense class: legacy and port are reused, Keras refused
    dense = _compare(uninterrupted, "--keras-dense", "keras", FORBID_LEGACY=1)
    assert dense.returncode == 1
    errors = [line for line in dense.stderr.splitlines() if line.startswith("error:")]
    pointer = resume / "keras-seed0" / "checkpoint.json"
    assert errors == [f"error: Cannot load the checkpoint {pointer}: it was written by a run "
                      "with keras_dense='tf1' and this run has keras_dense='keras'; run with the "
                      "same settings to resume, or --overwrite to start afresh"]
    fresh = _compare(uninterrupted, "--seed", "3", "--overwrite")
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert "Resuming" not in fresh.stderr
    assert _result(uninterrupted)["seed"] == 3


def test_corrupt_saved_trace_names_the_file(tmp_path):
    from tfcourse.checkpointing import CheckpointError
    from tfcourse.labs.comparison import _SavedTiers

    saved = _SavedTiers(tmp_path, {"lab": LAB, "dataset": "synthetic", "epochs": 1,
                                   "max_examples": 10, "seed": 0})
    (tmp_path / "legacy.json").write_text(json.dumps({"settings": saved.legacy_settings,
                                                      "trace": "legacy.npz"}))
    (tmp_path / "legacy.npz").write_bytes(b"PK\x03\x04 not a whole archive")
    with pytest.raises(CheckpointError, match=r"Cannot load the checkpoint .*legacy\.npz: it is "
                                              r"truncated or corrupt"):
        saved.load_legacy()
    (tmp_path / "legacy.json").write_text('{"settings": ')
    with pytest.raises(CheckpointError, match=r"legacy\.json: it is not a saved tier of "
                                              r"tfcourse compare"):
        saved.load_legacy()


def test_saved_legacy_tier_round_trips_exactly_and_clears_stale_temporaries(tmp_path):
    import numpy as np

    from tfcourse.compat.trace import Trace
    from tfcourse.labs.comparison import _SavedTiers
    from tfcourse.labs.runs import TierRun

    saved = _SavedTiers(tmp_path, {"lab": LAB, "dataset": "synthetic", "epochs": 2,
                                   "max_examples": 10, "seed": 0})
    (tmp_path / ".tmp-99-legacy.npz").write_bytes(b"half")  # a writer killed mid-write
    rng = np.random.default_rng(0)
    trace = Trace(initial_weights={"W1": rng.normal(size=(3, 2)).astype(np.float32),
                                   "b1": np.ones(2, np.float32)},
                  batch_splits=["train", "test", "train"],
                  batch_indices=[np.array([2, 0]), np.array([1]), np.array([1, 3])],
                  losses=[0.1 + 1e-17, 1 / 3], datasets=[{"train": 4, "test": 2}])
    losses = np.array([0.1 + 1e-17, 1 / 3, np.pi, 2.0 ** -40])
    run = TierRun(tier="legacy", step_losses=losses, epoch_costs=[0.2, 1.5],
                  test_accuracy=[None, 0.25], final_accuracy=0.25, seconds=[0.5, 0.25],
                  steps_per_epoch=2, output="Accuracy: 0.25\n", trace=trace)
    saved.save_legacy(run)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["legacy.json", "legacy.npz"]
    loaded = saved.load_legacy()
    assert loaded.step_losses.tobytes() == losses.tobytes()  # float64 through JSON, exact
    assert (loaded.epoch_costs, loaded.test_accuracy, loaded.final_accuracy, loaded.output) == (
        [0.2, 1.5], [None, 0.25], 0.25, "Accuracy: 0.25\n")
    assert list(loaded.trace.initial_weights) == ["W1", "b1"]  # creation order kept
    np.testing.assert_array_equal(loaded.trace.initial_weights["W1"], trace.initial_weights["W1"])
    assert [b.tolist() for b in loaded.trace.train_batches] == [[2, 0], [1, 3]]
    assert loaded.trace.datasets == [{"train": 4, "test": 2}]
