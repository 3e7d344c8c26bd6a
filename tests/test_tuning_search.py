"""`tfcourse tune` on one machine: a tiny search end to end, resume, failures, the oracle fix."""

import contextlib
import io
import json
import shutil
import signal
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import keras_tuner
import pytest

from tfcourse.tuning import search

from tuning_helpers import (
    child_env,
    end_order,
    trial_statuses,
    tune,
    tune_command,
    write_space,
)


@pytest.fixture(scope="module")
def finished_search(tmp_path_factory):
    """A 3-trial search on synthetic data, run once for the tests that read it."""
    folder = tmp_path_factory.mktemp("tiny")
    space = write_space(folder)
    directory = folder / "run"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = tune(["--space", str(space), "--dir", str(directory)])
    from tfcourse.seeding import _op_determinism_enabled

    return SimpleNamespace(space=space, directory=directory, code=code, out=out.getvalue(),
                           err=err.getvalue(), deterministic_after=_op_determinism_enabled())


def test_tiny_search_end_to_end(finished_search):
    directory = finished_search.directory
    assert finished_search.code == 0
    # Three trials, each ended once, each reported as it ended.
    assert end_order(directory) == ["0", "1", "2"]
    assert trial_statuses(directory) == {"0": "COMPLETED", "1": "COMPLETED", "2": "COMPLETED"}
    assert sorted(line.split()[2] for line in finished_search.err.splitlines()
                  if line.startswith("[tuner0] trial")) == ["0", "1", "2"]
    # The table of best trials, then the test-set evaluation of the best model.
    lines = finished_search.out.splitlines()
    assert lines[0].startswith(f"Best trials of {directory} (3 completed, 0 failed)")
    assert lines[1].split()[:4] == ["rank", "trial", "val_accuracy", "num_layers"]
    assert [line.split()[0] for line in lines[2:5]] == ["1", "2", "3"]
    scores = [float(line.split()[2]) for line in lines[2:5]]
    assert scores == sorted(scores, reverse=True)
    results = json.loads((directory / "results.json").read_text())
    assert results["trials_completed"] == 3 and results["trials_failed"] == 0
    assert results["best_score"] == pytest.approx(scores[0], abs=5e-5)
    assert 0.0 <= results["test_accuracy"] <= 1.0
    assert f"test accuracy = {results['test_accuracy']:.4f} on 100 test examples" \
        in finished_search.out
    assert results["best_hyperparameters"]["epochs"] == 1
    # the search ran with deterministic kernels and gave the process back without them
    assert finished_search.deterministic_after is False


def test_tiny_search_logs_every_trial_with_hparams(finished_search):
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    directory = finished_search.directory
    root = directory / "tensorboard"
    for trial_id in ("0", "1", "2"):
        trial_dir = root / f"trial_{trial_id}"
        for split in ("train", "validation"):
            accumulator = event_accumulator.EventAccumulator(str(trial_dir / split))
            accumulator.Reload()
            assert "epoch_accuracy" in accumulator.Tags()["tensors"], (trial_id, split)
        accumulator = event_accumulator.EventAccumulator(str(trial_dir))
        accumulator.Reload()
        content = accumulator.PluginTagToContent("hparams")["_hparams_/session_start_info"]
        session = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
        written = {name: value.WhichOneof("kind") for name, value in session.hparams.items()}
        # Integers are strings ("16"), so TensorBoard shows 16 and not 16.000.
        assert written["units"] == "string_value"
        assert session.hparams["units"].string_value in {"8", "16", "32", "64"}
        assert session.hparams["epochs"].string_value == "1"
        assert written["learning_rate"] == "number_value"
        assert written["activation"] == "string_value"
        stored = json.loads((directory / "trials" / f"trial_{trial_id}" / "trial.json")
                            .read_text())["hyperparameters"]["values"]
        assert int(session.hparams["units"].string_value) == stored["units"]
        assert session.hparams["learning_rate"].number_value == pytest.approx(stored["learning_rate"])
    accumulator = event_accumulator.EventAccumulator(str(root))
    accumulator.Reload()
    assert "_hparams_/experiment" in accumulator.PluginTagToContent("hparams")


def test_rerunning_a_completed_search_does_nothing_and_says_so(finished_search, capsys):
    space, directory = finished_search.space, finished_search.directory
    before = {path: path.stat().st_mtime_ns for path in directory.glob("trials/trial_*/*")}
    assert tune(["--space", str(space), "--dir", str(directory)]) == 0
    captured = capsys.readouterr()
    assert f"The search in {directory} is complete (3 trials); nothing to do" in captured.err
    assert "[tuner0] trial" not in captured.err
    assert end_order(directory) == ["0", "1", "2"]
    assert {path: path.stat().st_mtime_ns for path in directory.glob("trials/trial_*/*")} == before


def test_a_changed_space_is_refused_unless_overwrite(finished_search, tmp_path):
    space, directory = finished_search.space, finished_search.directory
    copy = tmp_path / "run"
    shutil.copytree(directory, copy)
    changed = write_space(tmp_path, "changed.toml",
                          text=space.read_text().replace('"elu"]', '"sigmoid"]'))
    with pytest.raises(search.SearchChangedError,
                       match=rf"The search in {copy} was started with another search space.*"
                             r"changed: space.activation.*--overwrite"):
        tune(["--space", str(changed), "--dir", str(copy)])
    with pytest.raises(search.SearchChangedError, match=r"changed: dataset, num_train"):
        tune(["--space", str(space), "--dir", str(copy), "--dataset", "mnist",
              "--num-train", "100"])
    assert end_order(copy) == ["0", "1", "2"]


def test_overwrite_refuses_a_folder_that_is_not_a_search(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    space = write_space(tmp_path)
    with pytest.raises(search.NotASearchDirectoryError, match="Refusing to empty"):
        tune(["--space", str(space), "--dir", str(tmp_path), "--overwrite"])
    assert (tmp_path / "notes.txt").exists()


def test_objective_typo_fails_before_any_training(tmp_path):
    space = write_space(tmp_path)
    with pytest.raises(ValueError, match=r"`objective` must be one of the metrics the fit reports, "
                                         r"\['accuracy', 'loss', 'val_accuracy', 'val_loss'\]. "
                                         r"Received: objective='val_acuracy'"):
        tune(["--space", str(space), "--dir", str(tmp_path / "run"), "--objective", "val_acuracy"])
    assert not (tmp_path / "run" / "trials").exists()  # refused before any trial started


def test_a_config_that_cannot_be_built_fails_only_its_trial(tmp_path, capsys):
    # Two points only: 8 units (6 370 parameters) and 512 units (407 050, over the limit).
    text = write_space(tmp_path).read_text()
    text = (text.replace('units = [8, 16, 32, 64]', 'units = [8, 512]')
                .replace('activation = ["relu", "tanh", "elu"]', 'activation = "relu"')
                .replace('optimizer = ["adam", "rmsprop"]', 'optimizer = "adam"')
                .replace('learning_rate = { min = 1e-3, max = 1e-2, sampling = "log" }',
                         'learning_rate = 0.01'))
    space = write_space(tmp_path, "two.toml", text=text)
    directory = tmp_path / "run"
    assert tune(["--space", str(space), "--dir", str(directory), "--max-params", "10000"]) == 0
    captured = capsys.readouterr()
    statuses = trial_statuses(directory)
    assert sorted(statuses.values()) == ["COMPLETED", "FAILED"]
    failed = next(trial_id for trial_id, status in statuses.items() if status == "FAILED")
    message = json.loads((directory / "trials" / f"trial_{failed}" / "trial.json")
                         .read_text())["message"]
    assert "the model has 407050 trainable parameters, over max_params=10000" in message
    assert f"trial {failed} failed: keras_tuner.src.errors.FailedTrialError: the model has 407050" \
        in captured.out
    assert "(1 completed, 1 failed)" in captured.out


def test_resume_after_a_kill_never_reruns_a_completed_trial(tmp_path):
    space = write_space(tmp_path, num_train=3000)  # trials of about a second
    directory = tmp_path / "run"
    argv = ["--space", str(space), "--dir", str(directory), "--max-trials", "4"]
    process = subprocess.Popen(tune_command(argv), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=child_env())
    deadline = time.monotonic() + 90
    try:
        while "COMPLETED" not in trial_statuses(directory).values():
            assert process.poll() is None, process.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "no trial completed within 90 s"
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        _, first_err = process.communicate(timeout=30)
    done_before = [tid for tid, status in trial_statuses(directory).items() if status == "COMPLETED"]
    assert 1 <= len(done_before) < 4

    rerun = subprocess.run(tune_command(argv), capture_output=True, text=True, timeout=180,
                           env=child_env())
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"Resuming the search in {directory}: {len(done_before)} trial(s) completed" in rerun.stderr
    ended_again = [line.split()[2] for line in rerun.stderr.splitlines()
                   if line.startswith("[tuner0] trial")]
    assert not set(ended_again) & set(done_before)  # no completed trial ran again
    order = end_order(directory)
    assert sorted(order) == ["0", "1", "2", "3"]  # four trials, each ended exactly once
    assert trial_statuses(directory) == {tid: "COMPLETED" for tid in ("0", "1", "2", "3")}


def _stale_project(finished_search, tmp_path, *, drop_end: bool) -> Path:
    """A copy of the finished search as KerasTuner 1.4.8's chief leaves it: the last
    trial is completed in trial.json but still listed as ongoing in oracle.json."""
    directory = finished_search.directory
    copy = tmp_path / "run"
    shutil.copytree(directory, copy)
    oracle_file = copy / "trials" / "oracle.json"
    state = json.loads(oracle_file.read_text())
    state["ongoing_trials"] = {"tuner0": "2"}
    if drop_end:  # killed between trial.json and oracle.json being saved
        state["end_order"] = ["0", "1"]
    oracle_file.write_text(json.dumps(state))
    return copy


@pytest.mark.parametrize("drop_end", [False, True], ids=["saved_before_pop", "killed_before_save"])
def test_reload_does_not_retry_an_ended_trial(finished_search, tmp_path, drop_end):
    copy = _stale_project(finished_search, tmp_path, drop_end=drop_end)

    def reloaded(cls):
        oracle = cls(objective=keras_tuner.Objective("val_accuracy", "max"), max_trials=5, seed=0)
        oracle._set_project_dir(str(copy), "trials")
        oracle.reload()
        return oracle

    plain = reloaded(keras_tuner.oracles.RandomSearchOracle)
    assert plain._retry_queue == ["2"]  # KerasTuner 1.4.8 would run trial 2 again
    ours = reloaded(search.RandomSearchOracle)
    assert ours._retry_queue == [] and ours.ongoing_trials == {}
    assert ours.end_order == ["0", "1", "2"]


@pytest.mark.parametrize("tuner,extra,expected", [
    ("bayesian", ["--max-trials", "2"], 2),
    # Hyperband, max_epochs 2, factor 2: a bracket of 2 one-epoch trials whose best goes on to
    # epoch 2, then a bracket of 2 two-epoch trials: 5 trials.
    ("hyperband", ["--hyperband-factor", "2"], 5),
])
def test_bayesian_and_hyperband_searches_run_and_finish(tmp_path, tuner, extra, expected, capsys):
    space = write_space(tmp_path, text=write_space(tmp_path).read_text()
                        .replace("epochs = 1", "epochs = 2"))
    directory = tmp_path / "run"
    argv = ["--space", str(space), "--dir", str(directory), "--tuner", tuner, *extra]
    assert tune(argv) == 0
    statuses = trial_statuses(directory)
    assert list(statuses.values()) == ["COMPLETED"] * expected
    assert sorted(end_order(directory)) == sorted(statuses)
    if tuner == "hyperband":
        values = [json.loads(path.read_text())["hyperparameters"]["values"]
                  for path in sorted(directory.glob("trials/trial_*/trial.json"))]
        continued = [v for v in values if "tuner/trial_id" in v]
        assert len(continued) == 1 and continued[0]["tuner/initial_epoch"] == 1
        assert continued[0]["tuner/epochs"] == 2
    capsys.readouterr()
    assert tune(argv) == 0
    assert "nothing to do" in capsys.readouterr().err


def test_report_without_the_best_checkpoint_says_where_it_is(finished_search, tmp_path, capsys):
    # On several machines the chief has no checkpoint of a trial a remote worker trained.
    copy = tmp_path / "run"
    shutil.copytree(finished_search.directory, copy)
    best = json.loads((copy / "results.json").read_text())["best_trial_id"]
    (copy / "trials" / f"trial_{best}" / "checkpoint.weights.h5").unlink()
    config = search.resolve_config(str(finished_search.space), directory=str(copy))
    result = search.report(config)
    assert result.test_accuracy is None and result.best_trial_id == best
    assert "is not on this machine (the worker that ran it has it)" in capsys.readouterr().out
    assert result.wall_time_s > 0  # from the run recorded in search.json


def test_tfcourse_command_reports_a_failure_in_one_error_line(tmp_path, capsys):
    from tfcourse.cli.main import main

    space = write_space(tmp_path)
    assert main(["tune", "--space", str(space), "--dir", str(tmp_path / "run"),
                 "--objective", "val_acuracy"]) == 1
    err = capsys.readouterr().err
    assert "error: `objective` must be one of the metrics the fit reports" in err
    assert "Traceback" not in err
