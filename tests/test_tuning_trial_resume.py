"""`tfcourse tune` killed in the middle of a trial continues that trial after its last epoch.

Issue 9, item 1, for searches (tfcourse.tuning.trial_resume). The search:
3 random trials of a 1-layer MLP with dropout on 2000 Fashion-MNIST examples
(29 mini-batches per epoch), up to 4 epochs, early-stopping patience 1,
learning rates high enough that the validation accuracy goes down as well as
up. With the seed of this file, trial 1's best epoch is its first and early
stopping ends it after its second, so a continued trial that forgot
KerasTuner's best value (it would save epoch 2's weights as the best) or
EarlyStopping's state (it would train on) would end differently. The kill
is a real SIGKILL in the middle of epoch 2 of trial 1, after the checkpoint
of epoch 1, so nothing in the process gets to clean up. Runs are
subprocesses; comparisons are exact (==, np.array_equal).
"""

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tuning_helpers import REPO, child_env, trial_statuses

FASHION = Path("/usr/share/datasets/fashion-mnist")
KILLED_TRIAL, EPOCHS_DONE, KILL_AT_BATCH = "1", 1, 10

SPACE = """
[search]
dataset = "fashion_mnist"
num_train = 2000
num_test = 200
max_trials = 3
patience = 1

[space]
num_layers = 1
units = [16, 32]
activation = ["relu", "tanh"]
initializer = "he"
batch_norm = false
dropout = 0.2
optimizer = ["adam", "rmsprop"]
learning_rate = { min = 1e-2, max = 1e-1, sampling = "log" }
schedule = ["constant", "exponential"]
batch_size = 64
epochs = 4
"""

# `tfcourse tune ARGV`, killed with SIGKILL at mini-batch KILL_AT_BATCH of the epoch after
# KILL_EPOCHS_DONE finished epochs of trial KILL_TRIAL (when those variables are set).
WRAPPER = """
import os, signal, sys
from tfcourse.tuning import trial_resume
trial = os.environ.get("KILL_TRIAL")
if trial is not None:
    done, batch = int(os.environ["KILL_EPOCHS_DONE"]), int(os.environ["KILL_AT_BATCH"])
    def on_train_batch_end(self, index, logs=None):
        if self.metadata["trial_id"] == trial and len(self.learning_rates) == done \\
                and index == batch:
            os.kill(os.getpid(), signal.SIGKILL)
    trial_resume.TrialCheckpoint.on_train_batch_end = on_train_batch_end
from tfcourse.cli import main as cli_main
if "tune" not in cli_main.SUBCOMMANDS:
    cli_main.SUBCOMMANDS = (*cli_main.SUBCOMMANDS, "tune")
sys.exit(cli_main.main(["tune", *sys.argv[1:]]))
"""

def _tune(directory, space, **env):
    environment = {**child_env(), "TFCOURSE_DATA_DIR": str(FASHION), "CUDA_VISIBLE_DEVICES": "",
                   **{key: str(value) for key, value in env.items()}}
    return subprocess.run([sys.executable, "-c", WRAPPER, "--space", str(space),
                           "--dir", str(directory)], capture_output=True, text=True,
                          env=environment, cwd=REPO, timeout=240)


def _trial_files(directory):
    return {path.parent.name: json.loads(path.read_text())
            for path in sorted(Path(directory, "trials").glob("trial_*/trial.json"))}


def _best_weights(directory):
    """Every array of every trial's checkpoint.weights.h5 (KerasTuner's best epoch)."""
    import h5py

    arrays = {}
    for path in sorted(Path(directory, "trials").glob("trial_*/checkpoint.weights.h5")):
        with h5py.File(path, "r") as handle:
            handle.visititems(lambda name, item: arrays.__setitem__(
                f"{path.parent.name}/{name}", item[()]) if isinstance(item, h5py.Dataset) else None)
    return arrays


def _curves(directory):
    """(trial, split, tag) -> [(step, value)] of the epoch curves in TensorBoard."""
    import tensorflow as tf
    from tensorboard.backend.event_processing import event_accumulator

    curves = {}
    for split_dir in sorted(Path(directory, "tensorboard").glob("trial_*/*")):
        accumulator = event_accumulator.EventAccumulator(str(split_dir))
        accumulator.Reload()
        for tag in accumulator.Tags()["tensors"]:
            if tag.startswith("epoch_"):
                curves[split_dir.parent.name, split_dir.name, tag] = sorted(
                    (event.step, float(tf.make_ndarray(event.tensor_proto)))
                    for event in accumulator.Tensors(tag))
    return curves


def _assert_same_search(resumed, reference):
    assert _trial_files(resumed) == _trial_files(reference)  # ids, values, scores, steps
    assert json.loads((resumed / "trials" / "oracle.json").read_text())["end_order"] == \
        ["0", "1", "2"]
    weights, expected = _best_weights(resumed), _best_weights(reference)
    assert sorted(weights) == sorted(expected)
    # the layers' weights and the optimizer's variables (iterations, moments) of every trial
    assert {f"trial_{t}/{name}" for t in "012" for name in
            ("layers/dense/vars/0", "layers/dense_1/vars/1", "optimizer/vars/0")} <= set(weights)
    different = [name for name in expected if not np.array_equal(weights[name], expected[name])]
    assert not different, f"best-epoch weights differ: {different}"
    results = json.loads((resumed / "results.json").read_text())
    reference_results = json.loads((reference / "results.json").read_text())
    for key in ("best_trial_id", "best_score", "best_hyperparameters", "test_accuracy",
                "test_loss"):
        assert results[key] == reference_results[key], key


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trial_resume")
    space = folder / "space.toml"
    space.write_text(SPACE)
    whole = _tune(folder / "whole", space)
    assert whole.returncode == 0, whole.stderr[-3000:]
    killed = _tune(folder / "killed", space, KILL_TRIAL=KILLED_TRIAL,
                   KILL_EPOCHS_DONE=EPOCHS_DONE, KILL_AT_BATCH=KILL_AT_BATCH)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    shutil.copytree(folder / "killed", folder / "corrupt")  # the same kill, for another test
    return folder, space


def test_killed_mid_trial_continues_that_trial_and_ends_as_uninterrupted(runs):
    folder, space = runs
    directory = folder / "killed"
    # At the kill: trial 0 ended, trial 1 running with the checkpoint of its first epoch.
    assert trial_statuses(directory) == {"0": "COMPLETED", "1": "RUNNING"}
    checkpoint = directory / "trials" / "trial_1" / "epochs"
    pointer = json.loads((checkpoint / "checkpoint.json").read_text())
    assert pointer["epochs_done"] == EPOCHS_DONE and pointer["iterations"] == 29
    assert not (directory / "trials" / "trial_0" / "epochs").exists()  # removed at its end

    resumed = _tune(directory, space)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    # It said so, and search.json records it.
    assert f"[tuner0] trial 1 continues after epoch 1 (checkpoint {checkpoint})" \
        in resumed.stderr
    ended = [line.split()[2] for line in resumed.stderr.splitlines()
             if line.startswith("[tuner0] trial") and " in " in line]
    assert ended == ["1", "2"]  # trial 0 not run again, trial 1 not restarted under a new id
    run = json.loads((directory / "search.json").read_text())["runs"][-1]
    assert run["continued_trials"] == {"1": 1}
    _assert_same_search(directory, folder / "whole")
    assert _curves(directory) == _curves(folder / "whole")  # epochs 1.. of trial 1 rewritten
    assert not list(directory.glob("trials/trial_*/epochs"))  # every checkpoint removed


def test_corrupt_trial_checkpoint_is_discarded_with_a_note_naming_it(runs):
    folder, space = runs
    directory = folder / "corrupt"
    checkpoint = directory / "trials" / "trial_1" / "epochs"
    variables = checkpoint / json.loads((checkpoint / "checkpoint.json").read_text())["variables"]
    variables.write_bytes(variables.read_bytes()[:300])
    resumed = _tune(directory, space)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Traceback" not in resumed.stderr
    assert f"[tuner0] trial 1: Cannot load the checkpoint {variables}: it is truncated or " \
           "corrupt" in resumed.stderr
    assert "Discarding it: the trial starts again from its first epoch." in resumed.stderr
    assert "continues after epoch" not in resumed.stderr
    # From its first epoch again, trial 1 ends as it did in the uninterrupted search.
    _assert_same_search(directory, folder / "whole")


# In-process checks of the trial checkpoint itself ------------------------------------

def _model():
    import keras

    from tfcourse import optimizers

    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(optimizer=optimizers.Adam(0.1), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _callbacks(folder):
    import keras
    import keras_tuner
    from keras_tuner.src.engine.tuner_utils import SaveBestEpoch

    return [keras.callbacks.EarlyStopping(monitor="accuracy", patience=5, mode="max"),
            SaveBestEpoch(keras_tuner.Objective("accuracy", "max"),
                          str(folder / "best.weights.h5"))]


class _Trial:
    trial_id = "7"

    class hyperparameters:  # noqa: N801  (what trial_resume.settings reads)
        values = {"units": 3, "learning_rate": 0.1}


def _trained_trial(tmp_path, examples: int, epochs: int):
    """A small model fitted with the trial's callbacks and a TrialCheckpoint in tmp_path/epochs."""
    from tfcourse.tuning import trial_resume

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(examples, 4)).astype("float32"), rng.integers(0, 3, examples)
    expected = trial_resume.settings(_Trial, "fingerprint")
    model, callbacks = _model(), _callbacks(tmp_path)
    saver = trial_resume.TrialCheckpoint(tmp_path / "epochs", expected, callbacks)
    model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, callbacks=[*callbacks, saver])
    return model, callbacks, saver, expected


def test_trial_checkpoint_keeps_early_stopping_and_best_epoch_state(tmp_path):
    from tfcourse.tuning import trial_resume

    model, callbacks, saver, expected = _trained_trial(tmp_path, 64, 3)
    stopping, best = callbacks
    assert best.best_value > 0 and stopping.best is not None

    fresh, fresh_callbacks = _model(), _callbacks(tmp_path)
    pointer = trial_resume.restore(fresh, tmp_path / "epochs", expected, fresh_callbacks)
    assert pointer["epochs_done"] == 3 and len(pointer["history"]["accuracy"]) == 3
    resumed = trial_resume.TrialCheckpoint(tmp_path / "epochs", expected, fresh_callbacks,
                                           pointer)
    for callback in fresh_callbacks:  # fit calls them in this order
        callback.on_train_begin()
    resumed.on_train_begin()
    restored_stopping, restored_best = fresh_callbacks
    assert restored_best.best_value == best.best_value
    for name in ("wait", "best", "best_epoch", "stopped_epoch"):
        assert getattr(restored_stopping, name) == getattr(stopping, name), name
    assert resumed.learning_rates == saver.learning_rates and len(resumed.learning_rates) == 3
    for a, b in zip(model.variables + model.optimizer.variables,
                    fresh.variables + fresh.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_checkpoint_of_another_trial_or_callbacks_is_refused_naming_the_file(tmp_path):
    from tfcourse.checkpointing import CheckpointError
    from tfcourse.tuning import trial_resume

    _, callbacks, _, expected = _trained_trial(tmp_path, 32, 1)
    pointer_file = tmp_path / "epochs" / "checkpoint.json"
    with pytest.raises(CheckpointError, match=rf"Cannot load the checkpoint {pointer_file}: it "
                                              r"was written by a run with trial_id='7' and this "
                                              r"run has trial_id='8'; it belongs to another"):
        trial_resume.restore(_model(), tmp_path / "epochs", {**expected, "trial_id": "8"},
                             callbacks)
    with pytest.raises(CheckpointError, match=r"it was written with the callbacks "
                                              r"\['EarlyStopping', 'SaveBestEpoch'\] and this "
                                              r"trial has \['EarlyStopping'\]"):
        trial_resume.restore(_model(), tmp_path / "epochs", expected, callbacks[:1])
    state = json.loads(pointer_file.read_text())
    del state["metadata"]["trial_state"]
    pointer_file.write_text(json.dumps(state))
    with pytest.raises(CheckpointError, match=r"checkpoint\.json: it holds no trial state"):
        trial_resume.restore(_model(), tmp_path / "epochs", expected, callbacks)
    assert trial_resume.restore(_model(), tmp_path / "none", expected, callbacks) is None
