"""Convolutional searches: the conv names of the space, the ConvSpec the hypermodel builds, a
tiny cnn search with its final training (the test set looked at once), the time budget and
the generated report."""

import contextlib
import io
import json
from pathlib import Path
from types import SimpleNamespace

import keras_tuner
import numpy as np
import pytest

from tfcourse import models
from tfcourse.tuning import budget, search
from tfcourse.tuning.hypermodel import CourseHyperModel, count_parameters
from tfcourse.tuning.space import CONV_NAMES, course_space, load_space_file

from tuning_helpers import REPO, trial_statuses, tune, write_space

TINY_CNN_SPACE = """
[search]
dataset = "synthetic"
num_train = 300
num_test = 100
max_trials = 2
final_training = true

[space]
model = "cnn"
conv_blocks = [1, 2]
filters = 4
kernel_size = 3
strides = 1
padding = "same"
pool = true
conv_dropout = 0.1
num_layers = [0, 1]
units = 8
activation = "relu"
initializer = "he"
batch_norm = [true, false]
dropout = 0.0
optimizer = "adam"
learning_rate = 0.01
schedule = "constant"
batch_size = 64
epochs = 2
weight_decay = 0.0
"""

# tfcourse.tuning.space at commit 2d114fc (before the conv names existed) gave these
# fingerprints (`course_space().fingerprint(dataset="mnist")` and the recorded MLP space
# file's); an MLP space must keep them, or every existing MLP search would be refused.
COURSE_FINGERPRINT = "e509e6d0dbdc71c6c44abd31e0fb0662a872e6417e599b6c5dde6104bd8e6400"
FASHION_MNIST_FINGERPRINT = "4dacc825cd45d40db1de3d81911e921c8d4de220a37ccf2ccca92865f0965eef"


def _declared(space, **values):
    """Declare ``space`` with ``values`` chosen; the other names take their defaults."""
    hp = keras_tuner.HyperParameters()
    hp.values.update(values)
    return space.declare(hp), hp


def test_mlp_spaces_declare_no_conv_name_and_keep_their_fingerprints():
    space = course_space()
    assert not space.can_be_cnn
    hp = keras_tuner.HyperParameters()
    values = space.declare(hp)
    assert "model" not in values and not set(CONV_NAMES) & {h.name for h in hp.space}
    assert space.fingerprint(dataset="mnist") == COURSE_FINGERPRINT
    recorded, _ = load_space_file(REPO / "tuning" / "fashion_mnist.toml")
    assert recorded.fingerprint(dataset="fashion_mnist") == FASHION_MNIST_FINGERPRINT


def test_conv_names_are_active_only_when_the_model_is_a_cnn(tmp_path):
    either = course_space().narrowed({"model": ["mlp", "cnn"]})
    values, _ = _declared(either, model="cnn")
    assert set(CONV_NAMES) <= set(values)
    assert values["pool"] is True and values["padding"] == "same"  # lab 11's defaults
    values, hp = _declared(either, model="mlp")
    assert not set(CONV_NAMES) & set(values)
    assert all(not hp.is_active(name) for name in CONV_NAMES)
    cnn, _ = load_space_file(write_space(tmp_path, text=TINY_CNN_SPACE))
    assert cnn.domains["model"].candidates() == ["cnn"]
    assert cnn.to_json()["conv_blocks"] == {"choice": [1, 2], "default": None}


def test_a_cnn_space_drops_maxout_unless_a_file_asks_for_it(tmp_path):
    space = course_space().narrowed({"model": "cnn"})
    assert "maxout" not in space.domains["activation"].candidates()
    assert space.defaults()["activation"] == "relu"
    with pytest.raises(ValueError, match=r"`activation` 'maxout' has no convolutional form, and "
                                         r"the space fixes model = 'cnn'. Allowed activations: "
                                         r"\['sigmoid', 'tanh', 'relu', 'leaky_relu', 'elu'\]. "
                                         r"Received: activation=\['relu', 'maxout'\]"):
        course_space().narrowed({"model": "cnn", "activation": ["relu", "maxout"]})


@pytest.mark.parametrize("text,error,match", [
    ("[space]\nmodel = 'resnet'\n", ValueError,
     r"`model` must be one of \['mlp', 'cnn'\]. Received: model='resnet'"),
    ("[space]\nconv_blocks = [1, 4]\n", ValueError,
     r"`conv_blocks\[1\]` must be an integer in \[1, 3\]. Received: conv_blocks\[1\]=4"),
    ("[space]\npadding = 'SAME'\n", ValueError,
     r"`padding` must be one of \['same', 'valid'\]. Received: padding='SAME'"),
    ("[space]\npool = 'yes'\n", TypeError, r"`pool` must be true or false"),
])
def test_conv_names_in_a_space_file_are_checked(tmp_path, text, error, match):
    with pytest.raises(error, match=match):
        load_space_file(write_space(tmp_path, text=text))


def test_augmentation_is_off_unless_a_space_file_turns_it_on(tmp_path):
    cnn = course_space().narrowed({"model": "cnn"})
    values, _ = _declared(cnn)
    assert (values["random_flip"], values["random_shift"]) == (False, 0.0)  # not in the course
    hypermodel = CourseHyperModel(cnn, num_train=640)
    assert "random_flip" not in [layer.name for layer in hypermodel.build(_declared(cnn)[1]).layers]
    text = (TINY_CNN_SPACE + "random_flip = [false, true]\n"
            "random_shift = { min = 0.0, max = 0.1, step = 0.05 }\n")
    space, _ = load_space_file(write_space(tmp_path, text=text))
    assert space.to_json()["random_flip"] == {"boolean": True}
    values, hp = _declared(space, random_flip=True, random_shift=0.05)
    spec = CourseHyperModel(space, num_train=640).spec(values)
    assert (spec.random_flip, spec.random_shift) == (True, 0.05)
    names = [layer.name for layer in CourseHyperModel(space, num_train=640).build(hp).layers]
    assert names[:4] == ["inputs", "image", "random_flip", "random_shift"]
    with pytest.raises(ValueError, match=r"`random_shift` must be in \[0.0, 0.45\]. "
                                         r"Received: random_shift=0.5"):
        course_space().narrowed({"model": "cnn", "random_shift": 0.5})


def test_hypermodel_builds_the_conv_spec_of_a_point():
    space = course_space().narrowed({"model": "cnn", "conv_blocks": 3, "filters": 16,
                                     "kernel_size": 5, "num_layers": 1, "units": 32,
                                     "batch_norm": True, "conv_dropout": 0.2, "dropout": 0.3})
    hypermodel = CourseHyperModel(space, num_train=640)
    values, hp = _declared(space)
    spec = hypermodel.spec(values)
    assert isinstance(spec, models.ConvSpec)
    assert spec.input_shape == (28, 28, 1)  # 784 inputs: a square single channel
    assert spec.filters == (16, 32, 64)  # doubling, as lab 11's 32, 64, 128
    assert spec.kernel_size == (5, 5, 5) and spec.dense_sizes == (32,)
    assert (spec.conv_dropout_rate, spec.dropout_rate) == (0.2, 0.3)
    model = hypermodel.build(hp)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert count_parameters(spec) == trainable
    assert model.count_params() == spec.num_parameters
    with pytest.raises(keras_tuner.errors.FailedTrialError,
                       match=r"over max_params=100 \(filters \(16, 32, 64\), dense sizes \(32,\)"):
        CourseHyperModel(space, num_train=640, max_params=100).build(hp)
    not_square = CourseHyperModel(space, input_size=30, num_train=640)
    with pytest.raises(keras_tuner.errors.FailedTrialError,
                       match=r"A cnn needs images: `input_size`=30 is not a square number"):
        not_square.build(hp)


@pytest.fixture(scope="module")
def cnn_search(tmp_path_factory):
    """A 2-trial cnn search on synthetic data with its final training, run once."""
    folder = tmp_path_factory.mktemp("cnn")
    space = write_space(folder, "cnn.toml", text=TINY_CNN_SPACE)
    directory = folder / "run"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = tune(["--space", str(space), "--dir", str(directory)])
    return SimpleNamespace(space=space, directory=directory, code=code, out=out.getvalue(),
                           err=err.getvalue())


def test_cnn_search_runs_its_trials_and_the_final_training(cnn_search):
    directory = cnn_search.directory
    assert cnn_search.code == 0, cnn_search.err
    assert trial_statuses(directory) == {"0": "COMPLETED", "1": "COMPLETED"}
    results = json.loads((directory / "results.json").read_text())
    # The search leaves the test set alone; the final training looks at it once.
    assert results["test_accuracy"] is None
    assert "the test set is left to the final training" in cnn_search.out
    final = json.loads((directory / "final.json").read_text())
    assert results["final"] == final
    assert final["trial_id"] == results["best_trial_id"]
    best = json.loads((directory / "trials" / f"trial_{final['trial_id']}" / "trial.json")
                      .read_text())
    assert final["epochs"] == best["best_step"] + 1  # up to the trial's best epoch
    assert final["num_train"] == 300  # training and validation sets together
    assert final["hyperparameters"]["model"] == "cnn"
    assert f"test accuracy = {final['test_accuracy']:.4f}" in cnn_search.out
    assert "Wall time: search" in cnn_search.out
    count = final["epochs"]
    epochs = f"{count} epoch" if count == 1 else f"{count} epochs"  # "1 epoch", never "1 epochs"
    assert f"for {epochs}\n" in cnn_search.err and f"({epochs} on 300 examples" in cnn_search.out
    # The recorded figure is the saved model's accuracy on the test set.
    from tfcourse import data, load_model

    (_, _), (x_test, y_test) = data.load("synthetic", flatten=True, num_train=300, num_test=100)
    model = load_model(final["model"])
    predicted = np.argmax(model.predict(x_test, verbose=0), axis=1)
    assert final["test_accuracy"] == pytest.approx(np.mean(predicted == y_test), abs=1e-6)
    # each trial's history says how many epochs it trained (the time budget's estimate)
    assert best["metrics"]["metrics"][budget.EPOCHS_METRIC]["observations"][0]["value"] == [2.0]


def test_cnn_trials_are_logged_with_their_conv_hparams(cnn_search):
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    for trial_id in ("0", "1"):
        accumulator = event_accumulator.EventAccumulator(
            str(cnn_search.directory / "tensorboard" / f"trial_{trial_id}"))
        accumulator.Reload()
        content = accumulator.PluginTagToContent("hparams")["_hparams_/session_start_info"]
        session = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
        assert session.hparams["model"].string_value == "cnn"
        assert session.hparams["conv_blocks"].string_value in {"1", "2"}  # integers as text
        assert session.hparams["pool"].bool_value is True
    accumulator = event_accumulator.EventAccumulator(
        str(cnn_search.directory / "tensorboard" / "final" / "train"))
    accumulator.Reload()
    assert "epoch_accuracy" in accumulator.Tags()["tensors"]


def test_rerunning_never_evaluates_the_test_set_again(cnn_search, capsys):
    final_file = cnn_search.directory / "final.json"
    before = final_file.stat().st_mtime_ns
    assert tune(["--space", str(cnn_search.space), "--dir", str(cnn_search.directory)]) == 0
    out = capsys.readouterr().out
    assert "recorded earlier; the test set is not evaluated again" in out
    assert final_file.stat().st_mtime_ns == before


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


def test_report_shows_the_best_trials_and_a_figure_per_varied_hyperparameter(cnn_search):
    folder = cnn_search.directory / "report"
    text = (folder / "report.md").read_text()
    final = json.loads((cnn_search.directory / "final.json").read_text())
    assert f"**test accuracy {final['test_accuracy']:.4f}**" in text
    assert "| rank | trial | val_accuracy | best epoch | seconds |" in text
    varied = {name for name in ("conv_blocks", "num_layers", "batch_norm")
              if f"![val_accuracy against {name}](hp_{name}.png)" in text}
    values = [json.loads(path.read_text())["hyperparameters"]["values"]
              for path in (cnn_search.directory / "trials").glob("trial_*/trial.json")]
    assert varied == {name for name in ("conv_blocks", "num_layers", "batch_norm")
                      if values[0][name] != values[1][name]}
    pictures = sorted(path.name for path in folder.glob("*.png"))
    assert pictures == sorted(["accuracy_vs_trial.png", *(f"hp_{name}.png" for name in varied)])
    for name in pictures:
        assert _png_size(folder / name) in {(900, 500), (700, 450)}
    assert "- model = cnn" in text  # fixed choices are listed
    if varied:  # two trials: each value of a varied choice has one
        assert " over 1 trial); " in text and "1 trials" not in text
    assert f"Report: {folder / 'report.md'}" in cnn_search.out


def test_report_command_writes_it_again_and_names_a_folder_without_a_search(cnn_search,
                                                                            tmp_path, capsys):
    (cnn_search.directory / "report" / "report.md").unlink()
    assert tune(["--report", str(cnn_search.directory)]) == 0
    assert (cnn_search.directory / "report" / "report.md").exists()
    assert "Report: " in capsys.readouterr().out
    with pytest.raises(FileNotFoundError, match=rf"{tmp_path} holds no search \(no search.json\)"):
        tune(["--report", str(tmp_path)])


class _Trial:
    def __init__(self, trial_id, best_step, epochs):
        self.trial_id, self.best_step = trial_id, best_step
        from keras_tuner.src.engine.metrics_tracking import MetricsTracker

        self.metrics = MetricsTracker()
        self.metrics.register(budget.EPOCHS_METRIC)
        self.metrics.update(budget.EPOCHS_METRIC, float(epochs), step=best_step)


class _Oracle:
    objective = keras_tuner.Objective("val_accuracy", "max")

    def __init__(self, trials, seconds):
        self.trials, self.trial_seconds = trials, seconds

    def get_best_trials(self, count):
        return self.trials[:count]


def test_time_budget_keeps_room_for_the_next_trial_and_the_final_training():
    # best trial: 100 s for 10 epochs, best at epoch 6 -> final 6 epochs x 10 s x 60/54
    oracle = _Oracle([_Trial("3", best_step=5, epochs=10)], {"3": 100.0, "4": 150.0})
    plan = budget.TimeBudget(1000.0, spent_before=600.0, final_scale=60 / 54, started=0.0)
    assert plan.final_estimate(oracle) == pytest.approx(6 * 10 * 60 / 54)
    assert plan.next_trial_estimate(oracle) == 150.0
    import time

    plan.started = time.monotonic()  # 600 s spent: 600 + 150 + 66.7 fits in 1000
    assert plan.stop_reason(oracle) is None
    plan.spent_before = 800.0  # 800 + 150 + 66.7 does not
    assert plan.stop_reason(oracle).startswith(
        "time budget of 1,000 s: 800 s spent, the next trial may take 150 s and the final "
        "training 67 s; no new trial")
    assert budget.TimeBudget(1000.0, 800.0, None).final_estimate(oracle) == 0.0


def test_a_spent_budget_starts_no_trial_and_says_why(tmp_path, capsys):
    space = write_space(tmp_path)
    directory = tmp_path / "run"
    assert tune(["--space", str(space), "--dir", str(directory), "--time-budget", "0.001"]) == 0
    captured = capsys.readouterr()
    assert "[oracle] time budget of 0 s:" in captured.err and "no new trial" in captured.err
    assert trial_statuses(directory) == {}
    run = json.loads((directory / "search.json").read_text())["runs"][-1]
    assert run["stopped_by_budget"].startswith("time budget of 0 s")
    with pytest.raises(ValueError, match=r"`time_budget` must be in \(0.0, inf\). "
                                         r"Received: time_budget=0.0"):
        search.resolve_config(str(space), time_budget=0.0)


@pytest.mark.parametrize("steps, epochs, expected", [(36, 2, 1), (422, 20, 2), (550, 20, 50),
                                                     (469, 15, 7), (999, 1, 1)])
def test_steps_per_execution_only_for_long_trials_and_dividing_the_epoch(steps, epochs, expected):
    from tfcourse.tuning.hypermodel import steps_per_execution

    assert steps_per_execution(steps, epochs) == expected


def test_several_steps_per_call_train_the_same_weights(monkeypatch):
    """A trial of many steps runs several per call: the same updates, bit for bit."""
    import keras

    from tfcourse import data
    from tfcourse.seeding import seeded
    from tfcourse.tuning import hypermodel as hypermodel_module

    (x, y), _ = data.load("synthetic", flatten=True, num_train=210, num_test=10)
    space = course_space().narrowed({
        "model": "cnn", "conv_blocks": 1, "filters": 4, "num_layers": 1, "units": 8,
        "batch_norm": True, "conv_dropout": 0.2, "dropout": 0.2, "optimizer": "adam",
        "learning_rate": 0.01, "schedule": "exponential", "batch_size": 20, "epochs": 2})
    weights = {}
    for many_steps in (10**9, 0):  # one step per call, then several (11 steps: 11 per call)
        monkeypatch.setattr(hypermodel_module, "MANY_STEPS", many_steps)
        with seeded(0):
            hypermodel = CourseHyperModel(space, num_train=210)
            _, hp = _declared(space)
            keras.backend.clear_session()
            model = hypermodel.build(hp)
            hypermodel.fit(hp, model, x, y)
        weights[many_steps] = (model.optimizer.iterations.numpy(), model.get_weights(),
                               model.steps_per_execution)
    assert (weights[10**9][2], weights[0][2]) == (1, 11)
    assert weights[0][0] == weights[10**9][0] == 22  # ceil(210 / 20) = 11 steps per epoch
    for one, several in zip(weights[10**9][1], weights[0][1]):
        np.testing.assert_array_equal(one, several)
