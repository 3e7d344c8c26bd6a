"""Interrupted training resumes exactly (issue 9, item 1; tfcourse.checkpointing).

Each run is a subprocess (tests/resume_helpers.py): an MLP with dropout and
tfcourse's Adam (tf1 convention), 4 epochs of 6 mini-batches, epoch-end
checkpoints through tfcourse.training.train(checkpoint_dir=...). Kills are
real SIGKILLs, so nothing in the process gets to clean up. Comparisons are
bit-exact (np.array_equal): same seed and TensorFlow's deterministic ops.
"""

import json
import re
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HELPER = Path(__file__).with_name("resume_helpers.py")
STEPS_PER_EPOCH, EPOCHS = 6, 4


def _run(checkpoint_dir, out, *flags):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run([sys.executable, str(HELPER), str(checkpoint_dir), str(out), *flags],
                          capture_output=True, text=True, env=env, timeout=300)


def _arrays(path):
    with np.load(path) as archive:
        return {key: archive[key] for key in archive.files}


def _assert_identical(a, b):
    assert sorted(a) == sorted(b)
    different = [key for key in a if not np.array_equal(a[key], b[key])]
    assert not different, f"variables differ: {different}"


def _pointer(directory):
    return json.loads((Path(directory) / "checkpoint.json").read_text())


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uninterrupted")
    result = _run(folder / "ckpt", folder / "final.npz")
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


def test_uninterrupted_run_checkpoints_every_epoch_and_records_the_seed(uninterrupted):
    pointer = _pointer(uninterrupted / "ckpt")
    assert pointer["epochs_done"] == EPOCHS
    assert pointer["iterations"] == EPOCHS * STEPS_PER_EPOCH
    assert pointer["metadata"] == {"seed": 5, "batch_size": 16, "shuffle": True}
    assert len(pointer["history"]["loss"]) == EPOCHS
    # older epochs are removed once the newer pointer is in place
    assert sorted(p.name for p in (uninterrupted / "ckpt").iterdir()) == [
        "checkpoint.json", "epoch-0004.keras", "epoch-0004.npz"]


def test_sigkill_mid_epoch_then_same_command_gives_identical_weights(uninterrupted, tmp_path):
    killed = _run(tmp_path / "ckpt", tmp_path / "final.npz", "--kill-at-step", "15")
    assert killed.returncode == -signal.SIGKILL
    assert _pointer(tmp_path / "ckpt")["epochs_done"] == 2  # step 15 is mid epoch 3
    resumed = _run(tmp_path / "ckpt", tmp_path / "final.npz")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    final = _arrays(tmp_path / "final.npz")
    _assert_identical(final, _arrays(uninterrupted / "final.npz"))
    assert int(final["optimizer_0"]) == EPOCHS * STEPS_PER_EPOCH  # iterations, no step twice


def test_kill_during_checkpoint_write_keeps_the_previous_checkpoint(uninterrupted, tmp_path):
    # the writer dies half-way through the variables file of epoch 3
    killed = _run(tmp_path / "ckpt", tmp_path / "final.npz", "--kill-in-write", "3")
    assert killed.returncode == -signal.SIGKILL
    names = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert "epoch-0003.npz" not in names and any(n.startswith(".tmp-") for n in names)
    assert _pointer(tmp_path / "ckpt")["epochs_done"] == 2
    resumed = _run(tmp_path / "ckpt", tmp_path / "final.npz")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    _assert_identical(_arrays(tmp_path / "final.npz"), _arrays(uninterrupted / "final.npz"))
    assert not any(p.name.startswith(".tmp-") for p in (tmp_path / "ckpt").iterdir())


def test_same_seed_is_bit_identical_and_another_seed_is_not(uninterrupted, tmp_path):
    again = _run(tmp_path / "a", tmp_path / "again.npz")
    other = _run(tmp_path / "b", tmp_path / "other.npz", "--seed", "6")
    assert again.returncode == 0 and other.returncode == 0, again.stderr[-2000:]
    reference = _arrays(uninterrupted / "final.npz")
    _assert_identical(_arrays(tmp_path / "again.npz"), reference)
    assert not np.array_equal(_arrays(tmp_path / "other.npz")["model_0"], reference["model_0"])
    assert _pointer(tmp_path / "b")["metadata"]["seed"] == 6


# In-process checks of the files themselves.

@pytest.fixture
def saved(tmp_path):
    sys.path.insert(0, str(HELPER.parent))
    try:
        import resume_helpers
    finally:
        sys.path.pop(0)
    from tfcourse import checkpointing

    model = resume_helpers.build(0)
    x, y = resume_helpers.data()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    checkpointing.save_checkpoint(model, tmp_path, 1, {"seed": 5})
    return model, resume_helpers, tmp_path


def test_restore_round_trip_sets_every_model_and_optimizer_variable(saved):
    from tfcourse import checkpointing

    model, helpers, folder = saved
    fresh = helpers.build(1)
    pointer = checkpointing.restore_checkpoint(fresh, folder, expected={"seed": 5})
    assert pointer["epochs_done"] == 1
    for a, b in zip(model.variables + model.optimizer.variables,
                    fresh.variables + fresh.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert checkpointing.restore_checkpoint(fresh, folder / "none") is None


def test_a_checkpoint_without_the_model_file_restores_the_same(saved, tmp_path):
    from tfcourse import checkpointing

    model, helpers, folder = saved
    bare = tmp_path / "bare"
    assert checkpointing.save_checkpoint(model, bare, 1, {"seed": 5}, save_model=False) is None
    assert sorted(path.name for path in bare.iterdir()) == ["checkpoint.json", "epoch-0001.npz"]
    fresh = helpers.build(1)
    assert checkpointing.restore_checkpoint(fresh, bare, expected={"seed": 5})["model"] is None
    for a, b in zip(model.variables + model.optimizer.variables,
                    fresh.variables + fresh.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # the next epoch replaces the previous one's files, with or without a model file
    checkpointing.save_checkpoint(model, bare, 2, {"seed": 5})
    assert sorted(path.name for path in bare.iterdir()) == [
        "checkpoint.json", "epoch-0002.keras", "epoch-0002.npz"]


def test_truncated_variables_file_names_the_file(saved):
    from tfcourse import checkpointing

    model, helpers, folder = saved
    path = folder / "epoch-0001.npz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(checkpointing.CheckpointError,
                       match=r"Cannot load the checkpoint .*epoch-0001\.npz: it is truncated or "
                             r"corrupt"):
        checkpointing.restore_checkpoint(helpers.build(0), folder)


def test_corrupt_pointer_names_the_file(saved):
    from tfcourse import checkpointing

    _, helpers, folder = saved
    (folder / "checkpoint.json").write_text('{"format": 1, "epo')
    with pytest.raises(ValueError, match=r"Cannot load the checkpoint .*checkpoint\.json: it is "
                                         r"not valid JSON"):
        checkpointing.restore_checkpoint(helpers.build(0), folder)
    (folder / "checkpoint.json").write_text('{"something": "else"}')
    with pytest.raises(ValueError, match=r"checkpoint\.json: it is not a tfcourse checkpoint"):
        checkpointing.read_checkpoint(folder)


def test_other_settings_or_other_model_are_refused(saved):
    import keras

    from tfcourse import checkpointing, optimizers

    _, helpers, folder = saved
    with pytest.raises(ValueError, match=r"written by a run with seed=5 and this run has "
                                         r"seed=6; use the same settings to resume"):
        checkpointing.restore_checkpoint(helpers.build(0), folder, expected={"seed": 6})
    other = keras.Sequential([keras.Input((8,)), keras.layers.Dense(3)])
    other.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    with pytest.raises(ValueError, match=r"epoch-0001\.npz: it holds \d+ model and optimizer "
                                         r"variables and this model has \d+; it was written "
                                         r"for another model"):
        checkpointing.restore_checkpoint(other, folder)


def test_no_checkpoint_after_non_finite_weights(saved, tmp_path):
    from tfcourse import checkpointing

    model, _, _ = saved
    callback = checkpointing.EpochCheckpoint(tmp_path / "nan")
    callback.set_model(model)
    model.trainable_variables[0].assign(np.full(model.trainable_variables[0].shape, np.nan))
    callback.on_epoch_end(0, {"loss": float("nan")})
    assert callback.last_path is None and not (tmp_path / "nan").exists()


# `tfcourse run LAB --tier keras`: the same command again resumes --------------------

CLI_WRAPPER = """
import os, signal, sys
import numpy as np
from tfcourse.labs import keras_tier, runs
kill_at = int(os.environ.get("KILL_AT_STEP", "0"))
if os.environ.get("ONE_STEP_PER_CALL"):  # batch hooks after every step, so a kill lands mid-epoch
    keras_tier.FIT_DEFAULTS["steps_per_execution"] = 1
inf_row = int(os.environ.get("BAD_ROW", "-1"))
bad_value = float(os.environ.get("BAD_VALUE", "inf"))
if kill_at:
    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    keras_tier.EpochTimer.on_train_batch_end = on_train_batch_end
if inf_row >= 0:
    load = runs.load_data
    def load_data(*args, **kwargs):
        data = load(*args, **kwargs)
        data.train[0][inf_row] = bad_value
        return data
    runs.load_data = load_data
from tfcourse.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def _cli(logdir, *flags, **env):
    argv = ["run", "mnist_nn_dropout", "--tier", "keras", "--dataset", "fashion_mnist",
            "--epochs", "3", "--max-examples", "400", "--seed", "4", "--logdir", str(logdir),
            "--quiet", *flags]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "",
                   **{k: str(v) for k, v in env.items()}}
    return subprocess.run([sys.executable, "-c", CLI_WRAPPER, *argv], capture_output=True,
                          text=True, env=environment, timeout=300)


def _final_checkpoint(logdir):
    folder = Path(logdir) / "mnist_nn_dropout" / "keras" / "checkpoints"
    return _arrays(folder / _pointer(folder)["variables"]), _pointer(folder)


def test_cli_keras_tier_sigkill_then_same_command_matches_uninterrupted(tmp_path):
    # 400 examples / batch 100 = 4 steps per epoch; step 6 is in the middle of epoch 2
    whole = _cli(tmp_path / "whole", ONE_STEP_PER_CALL=1)
    assert whole.returncode == 0, whole.stderr[-3000:]
    killed = _cli(tmp_path / "killed", KILL_AT_STEP=6, ONE_STEP_PER_CALL=1)
    assert killed.returncode == -signal.SIGKILL
    again = _cli(tmp_path / "killed", ONE_STEP_PER_CALL=1)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "Resuming after epoch 1 from" in again.stderr
    reference, pointer = _final_checkpoint(tmp_path / "whole")
    resumed, resumed_pointer = _final_checkpoint(tmp_path / "killed")
    # NumPy's global generator is restored too, but the lab run draws from it while
    # preparing (before the restore), so its final state is not compared; every model
    # variable (weights, dropout seed state, step losses) and optimizer variable is.
    resumed.pop("numpy_random"), reference.pop("numpy_random")
    _assert_identical(resumed, reference)
    assert pointer["metadata"]["seed"] == 4 and resumed_pointer["iterations"] == 12
    # the printed summary (final cost, test accuracy) is the same line
    def summary_of(out):
        (line,) = [line for line in out.splitlines() if line.startswith("mnist_nn_dropout [keras]")]
        return line.split("; logs in")[0]

    summary = summary_of(again.stdout)
    assert summary == summary_of(whole.stdout)
    assert "3 epochs, final cost" in summary


def test_cli_refuses_inf_input_before_training(tmp_path):
    result = _cli(tmp_path, BAD_ROW=7)  # the whole image (784 pixels) set to Inf
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: `x` holds 784 NaN or Inf values (the first in example 7). Clean or "
                      "impute them before training: one NaN input makes every weight NaN"]
    assert not (tmp_path / "mnist_nn_dropout" / "keras" / "checkpoints").exists()


def test_cli_nan_stops_with_one_error_line_and_exit_1(tmp_path):
    # a finite pixel of 3e38: the first layer's output overflows to Inf during training
    result = _cli(tmp_path, BAD_ROW=0, BAD_VALUE=3e38)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert re.match(r"error: Training stopped at step \d \(epoch 1\): the loss is \S+; "
                    r"the gradients of layer `hypothesis` became non-finite first", errors[0]), errors
    # the lab runs its 4 steps per epoch in one call (steps_per_execution); the guard
    # replays them and names the step that one step per call names
    single = _cli(tmp_path / "single", BAD_ROW=0, BAD_VALUE=3e38, ONE_STEP_PER_CALL=1)
    assert [line for line in single.stderr.splitlines() if line.startswith("error:")] == errors
