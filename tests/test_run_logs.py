"""What `tfcourse run` leaves behind after re-runs (issue 15, items 3, 5, 7).

* A finished run trained further with a larger --epochs continues the same
  trajectory (bit-identical to a run of that many epochs from the start) and
  the same TensorBoard curves: no step written twice, no curve going back,
  and a constant number of event files however often it is continued.
* --overwrite and re-runs of the legacy and port tiers replace their events.
* The checkpoint folder is `checkpoints` (TensorBoard reads `checkpoint` as a
  checkpoint index); a folder of the old name is taken over and resumed.

Each run is the real command on 300 synthetic examples (3 steps of 100 per
epoch), in this process. The event files are read back independently of
tfcourse.monitoring (tests/monitoring_helpers.py), in file order, as
TensorBoard reads them.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from monitoring_helpers import read_events
from tfcourse.cli.main import main

LAB = "mnist_nn_gd"  # two hidden layers: activation and gradient statistics are logged too
STEPS_PER_EPOCH = 3

# Written once per epoch or per step: a continued run must have exactly the
# steps (and values) of a run of that length from the start.
PER_STEP_OR_EPOCH = re.compile(r"^(epoch_|evaluation_.*_vs_iterations$|step_loss$|"
                               r"optimizer/learning_rate$)")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("TFCOURSE_DATASET", "TFCOURSE_MAX_EXAMPLES", "TFCOURSE_MAX_STEPS",
                 "TFCOURSE_SEED", "TFCOURSE_INIT", "TFCOURSE_TRACE"):
        monkeypatch.delenv(name, raising=False)


def _run(logdir, *flags, tier="keras"):
    return main(["run", LAB, "--tier", tier, "--dataset", "synthetic", "--max-examples", "300",
                 "--logdir", str(logdir), "--quiet", *flags])


def _folders(logdir, tier="keras"):
    run = Path(logdir) / "mnist_nn_gd" / tier
    return {name: run / name for name in ("", "train", "validation")}


def _counts(logdir, tier="keras"):
    return {name: len(list(folder.glob("events.out.tfevents.*")))
            for name, folder in _folders(logdir, tier).items()}


def _curves(logdir, tier="keras"):
    """{(folder, tag): [(step, value), ...]} in file order."""
    curves = {}
    for name, folder in _folders(logdir, tier).items():
        for tag, points in read_events(str(folder)).items():
            curves[(name, tag)] = points
    return curves


def _assert_no_step_twice_or_back(curves):
    for key, points in curves.items():
        steps = [step for step, _ in points]
        if key[1] == "_hparams_/session_start_info":
            assert len(steps) == 1, key
        else:
            assert steps == sorted(set(steps)), f"{key}: steps {steps}"


def _checkpoint(logdir):
    folder = _folders(logdir)[""] / "checkpoints"
    pointer = json.loads((folder / "checkpoint.json").read_text())
    with np.load(folder / pointer["variables"]) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays.pop("numpy_random")  # drawn from while preparing a run, before the restore
    return pointer, arrays


def _summary(out):
    line = [line for line in out.splitlines() if line.startswith(f"{LAB} [keras]")][-1]
    return line.split("; logs in")[0]


def test_a_larger_epochs_trains_a_finished_run_further_on_the_same_curves(tmp_path, capsys):
    assert _run(tmp_path / "whole", "--epochs", "3") == 0
    whole_summary = _summary(capsys.readouterr().out)
    whole_curves, whole_counts = _curves(tmp_path / "whole"), _counts(tmp_path / "whole")
    _assert_no_step_twice_or_back(whole_curves)
    assert [step for step, _ in whole_curves[("train", "step_loss")]] == list(range(9))

    continued = tmp_path / "continued"
    assert _run(continued, "--epochs", "1") == 0
    counts = []
    for epochs in (2, 3):
        assert _run(continued, "--epochs", str(epochs)) == 0
        captured = capsys.readouterr()
        assert f"Resuming after epoch {epochs - 1} from " in captured.err
        counts.append(_counts(continued))
    assert counts[0] == counts[1], counts  # continuing again adds no event file
    assert all(counts[1][name] <= whole_counts[name] + 1 for name in whole_counts), counts
    assert _summary(captured.out) == whole_summary  # "3 epochs, final cost ..., test accuracy ..."

    # the same trajectory: every model and optimizer variable, bit for bit
    pointer, arrays = _checkpoint(continued)
    whole_pointer, whole_arrays = _checkpoint(tmp_path / "whole")
    assert pointer["epochs_done"] == 3 and pointer["iterations"] == 9
    assert sorted(arrays) == sorted(whole_arrays)
    assert not [key for key in arrays if not np.array_equal(arrays[key], whole_arrays[key])]

    # the same curves: no step twice, and the per-step and per-epoch curves of a whole run
    curves = _curves(continued)
    _assert_no_step_twice_or_back(curves)
    for key, points in whole_curves.items():
        if PER_STEP_OR_EPOCH.match(key[1]):
            assert curves[key] == points, key

    # the same command again: nothing to train, nothing written
    before = {path: path.stat().st_mtime_ns for path in continued.rglob("events.out.*")}
    assert _run(continued, "--epochs", "3") == 0
    assert "Resuming after epoch 3" in capsys.readouterr().err
    assert {path: path.stat().st_mtime_ns for path in continued.rglob("events.out.*")} == before


def test_fewer_epochs_or_other_settings_are_refused_and_overwrite_starts_afresh(tmp_path, capsys):
    assert _run(tmp_path, "--epochs", "2") == 0
    capsys.readouterr()
    pointer = tmp_path / "mnist_nn_gd" / "keras" / "checkpoints" / "checkpoint.json"
    assert _run(tmp_path, "--epochs", "1") == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: Cannot load the checkpoint {pointer}: it holds 2 trained epochs and this run "
        "has epochs=1; ask for 2 or more epochs to use it, or start afresh (--overwrite, or "
        "another checkpoint folder)")
    assert _run(tmp_path, "--epochs", "3", "--seed", "1") == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"error: Cannot load the checkpoint {pointer}: it was written by a run with seed=0 and "
        "this run has seed=1; use the same settings to resume, or another checkpoint folder "
        "to start afresh")
    fresh_counts = _counts(tmp_path)
    assert _run(tmp_path, "--epochs", "3") == 0  # continued: one rewritten file more
    capsys.readouterr()
    assert _run(tmp_path, "--epochs", "2", "--overwrite") == 0
    assert "Resuming" not in capsys.readouterr().err
    assert _counts(tmp_path) == fresh_counts  # the old events are gone
    curves = _curves(tmp_path)
    assert [step for step, _ in curves[("train", "epoch_loss")]] == [0, 1]
    assert [step for step, _ in curves[("train", "step_loss")]] == list(range(6))


@pytest.mark.parametrize("tier", ["legacy", "port"])
def test_re_running_a_tier_replaces_its_events(tmp_path, capsys, tier):
    for _ in range(2):
        assert _run(tmp_path, "--epochs", "1", tier=tier) == 0
    assert _counts(tmp_path, tier) == {"": 1, "train": 1, "validation": 0}
    curves = _curves(tmp_path, tier)
    _assert_no_step_twice_or_back(curves)
    assert [step for step, _ in curves[("train", "step_loss")]] == [0, 1, 2]
    assert len(curves[("", "_hparams_/session_start_info")]) == 1


def test_an_old_checkpoint_folder_is_renamed_and_resumed(tmp_path, capsys):
    assert _run(tmp_path, "--epochs", "1") == 0
    run = tmp_path / "mnist_nn_gd" / "keras"
    (run / "checkpoints").rename(run / "checkpoint")  # as tfcourse wrote it before
    assert _run(tmp_path, "--epochs", "2") == 0
    err = capsys.readouterr().err
    assert (f"Renamed the checkpoint folder {run / 'checkpoint'} to {run / 'checkpoints'} "
            "(TensorBoard reads a folder named `checkpoint` as a checkpoint index)") in err
    assert f"Resuming after epoch 1 from {run / 'checkpoints'}" in err
    assert not (run / "checkpoint").exists()
    assert json.loads((run / "checkpoints" / "checkpoint.json").read_text())["epochs_done"] == 2
    assert tf.executing_eagerly()


def test_hparams_table_has_one_row_per_lab_and_tier_and_board_reads_no_checkpoint(tmp_path):
    """Issue 15, items 4 and 5, over HTTP: TensorBoard's HParams table and its stderr."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from monitoring_helpers import free_port, get_json, session_groups

    logs = tmp_path / "logs"
    for lab, tier in (("mnist_softmax", "keras"), ("mnist_nn_gd", "keras"),
                      ("mnist_softmax", "legacy")):
        assert main(["run", lab, "--tier", tier, "--dataset", "synthetic", "--max-examples",
                     "200", "--epochs", "1", "--logdir", str(logs), "--quiet"]) == 0
    port = free_port()
    err_path = tmp_path / "stderr.txt"
    # --debug: TensorFlow's own warnings show (a `checkpoint` path in a run folder made
    # TensorBoard warn that it is a directory, a dozen times per page load)
    with open(err_path, "w") as err:
        board = subprocess.Popen(
            [sys.executable, "-m", "tfcourse", "--debug", "board", "--logdir", str(logs),
             "--port", str(port), "--reload-interval", "1"],
            stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline, groups = time.monotonic() + 90, {}
        while len(groups) < 3:
            assert board.poll() is None, err_path.read_text()
            assert time.monotonic() < deadline, f"HParams table: {sorted(groups)}"
            time.sleep(1)
            try:
                groups = session_groups(url)
            except OSError:
                pass
        for page in ("/data/runs", "/data/plugins_listing", "/data/plugin/projector/runs"):
            get_json(url + page)
    finally:
        board.send_signal(signal.SIGINT)
        board.wait(timeout=20)
    assert sorted(groups) == ["mnist_nn_gd/keras", "mnist_softmax/keras", "mnist_softmax/legacy"]
    for name, group in groups.items():
        lab, tier = name.split("/")
        assert [session["name"] for session in group["sessions"]] == [name]  # the run folder
        assert group["hparams"]["lab"] == lab and group["hparams"]["tier"] == tier
        metrics = {(m["name"]["group"], m["name"]["tag"]) for m in group["metricValues"]}
        assert ("train", "epoch_loss") in metrics, (name, metrics)
    assert "checkpoint" not in err_path.read_text()
