"""The course-style TF1 programs of tests/port_programs/ run unchanged under tfcourse.compat.

They are the inputs of the porter's tests (issue 13, "Coverage"); here each one
runs as written (``import tensorflow as tf``), small, with the settings of
tests/port_programs/catalogue.py, from its own folder (the CSV programs read
their files by a relative name, as the labs did). Each run must record one
finite loss per training step, learn (the losses fall), print what the program
prints, and reach the accuracy its table entry names. Two programs go through
``tfcourse legacy run`` instead of ``run_script``, as a user would run them.
Then what only some programs do: Saver's restore, the summaries' event file,
the decayed learning rate, batch norm's moving averages, the ensemble's sum.
"""

import contextlib
import dataclasses
import io
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tests.port_programs import generate_data
from tests.port_programs.catalogue import DATA_FILES, FOLDER, PROGRAMS

from tfcourse.cli.main import main as tfcourse_cli
from tfcourse.compat import Trace, run_script

# These go through the `tfcourse legacy run` command line; the others through run_script.
VIA_CLI = ("linear_regression_csv", "mnist_softmax")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("TFCOURSE_DATASET", "TFCOURSE_MAX_EXAMPLES", "TFCOURSE_MAX_STEPS", "TFCOURSE_SEED",
                 "TFCOURSE_INIT", "TFCOURSE_TRACE"):
        monkeypatch.delenv(name, raising=False)
    yield
    assert tf.executing_eagerly(), "graph mode leaked out of the test"


@dataclasses.dataclass
class SmallRun:
    output: str
    trace: Trace
    namespace: dict | None  # None for a run through the command line
    folder: Path  # the program's TMP argument


def run_program(name: str, folder: Path) -> SmallRun:
    """Run one catalogue program small, from its own folder, capturing what it prints."""
    program = PROGRAMS[name]
    argv = program.arguments(folder)
    stdout, stderr = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(FOLDER)  # the CSV programs read 'data-...csv' from the working directory
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            if name in VIA_CLI:
                trace_path = folder / "trace.npz"
                flags = ["--trace", str(trace_path)]
                for flag, value in (("--dataset", program.dataset),
                                    ("--max-examples", program.max_examples),
                                    ("--max-steps", program.max_steps)):
                    if value is not None:
                        flags += [flag, str(value)]
                code = tfcourse_cli(["legacy", "run", *flags, str(program.path), *argv])
                assert code == 0, stderr.getvalue()
                return SmallRun(stdout.getvalue(), Trace.load(trace_path), None, folder)
            result = run_script(program.path, argv, dataset=program.dataset,
                                max_examples=program.max_examples, max_steps=program.max_steps,
                                trace=True)
    finally:
        os.chdir(previous)
    assert result.exit_code == 0
    return SmallRun(stdout.getvalue(), result.trace, result.namespace, folder)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """``small_run(name)``: the program's small run, made once for all the tests of this file."""
    runs: dict[str, SmallRun] = {}

    def get(name: str) -> SmallRun:
        if name not in runs:
            runs[name] = run_program(name, tmp_path_factory.mktemp(name))
        return runs[name]

    yield get
    for run in runs.values():
        session = (run.namespace or {}).get("sess")
        if session is not None:
            session.close()


def printed_number(pattern, output):
    match = re.search(pattern, output, re.MULTILINE)
    assert match, f"no line matches {pattern!r}"
    return float(match.group(1))


def test_catalogue_lists_every_program_of_the_folder_and_the_readme_each():
    files = {path.stem for path in FOLDER.glob("*.py")} - {"__init__", "catalogue", "generate_data"}
    assert files == set(PROGRAMS)
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    assert [name for name in PROGRAMS if f"`{name}.py`" not in readme] == []


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_is_plain_tf1(name):
    source = PROGRAMS[name].path.read_text(encoding="utf-8")
    assert "import tensorflow as tf\n" in source and "tfcourse" not in source
    assert "tf.Session()" in source and ".minimize(" in source
    if PROGRAMS[name].dataset is not None:
        # The porter's tests shorten these two assignments.
        assert re.search(r"^training_epochs = 15$", source, re.MULTILINE)
        assert re.search(r"^batch_size = 100$", source, re.MULTILINE)


@pytest.mark.parametrize("name", DATA_FILES)
def test_shipped_csv_is_what_generate_data_writes(name):
    assert (FOLDER / name).read_text(encoding="utf-8") == generate_data.render(name)


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_runs_unchanged_and_learns(name, small_run):
    program = PROGRAMS[name]
    run = small_run(name)
    output, trace = run.output, run.trace

    losses = np.asarray(trace.losses)
    assert trace.num_steps == program.steps
    assert np.isfinite(losses).all()
    # Learning: the last tenth of the steps lower on average than the first tenth.
    tenth = max(1, len(losses) // 10)
    assert losses[-tenth:].mean() < losses[:tenth].mean(), (losses[:tenth], losses[-tenth:])
    for pattern in program.output:
        assert re.search(pattern, output, re.MULTILINE), f"{pattern!r} not in the output:\n{output}"
    if program.accuracy is not None:
        pattern, minimum = program.accuracy
        assert printed_number(pattern, output) >= minimum


@pytest.mark.parametrize("name, line", [("linear_regression_lists", (1.0, 0.0)),
                                        ("linear_regression_placeholders", (1.0, 1.1))])
def test_linear_regressions_find_the_line(name, line, small_run):
    # The data lie on y = W x + b exactly: 2001 full-batch GD steps at 0.01 bring W and b
    # within 1e-2 of it.
    namespace = small_run(name).namespace
    sess = namespace["sess"]
    np.testing.assert_allclose(sess.run(namespace["W"]), [line[0]], atol=1e-2)
    np.testing.assert_allclose(sess.run(namespace["b"]), [line[1]], atol=1e-2)


def test_saver_restores_the_same_prediction(small_run):
    run = small_run("saver")
    output, tmp_path = run.output, run.folder
    before = re.search(r"^Prediction before saving: (.*)$", output, re.MULTILINE).group(1)
    after = re.search(r"^Prediction after restoring: (.*)$", output, re.MULTILINE).group(1)
    assert before == after
    assert (tmp_path / "model.ckpt.index").is_file() and (tmp_path / "checkpoint").is_file()
    restored = tf.train.load_checkpoint(str(tmp_path / "model.ckpt"))
    # The restored weights are the trained ones, not the initial draw (GD moved them).
    assert abs(restored.get_tensor("weight")[0, 0]) > 1.0


def test_summaries_write_every_step_and_the_graph(small_run):
    (events_file,) = small_run("summaries").folder.glob("events.out.tfevents.*")
    costs, histograms, has_graph = {}, set(), False
    for event in tf.compat.v1.train.summary_iterator(str(events_file)):
        has_graph = has_graph or bool(event.graph_def)
        for value in event.summary.value:
            if value.tag == "cost/cost":
                costs[event.step] = value.simple_value
            elif value.HasField("histo"):
                histograms.add(value.tag)
    assert has_graph
    assert sorted(costs) == list(range(1001))
    assert costs[1000] < costs[0]
    assert histograms == {"layer1/weights1", "layer1/biases1", "layer1/layer1",
                          "layer2/weights2", "layer2/biases2", "layer2/hypothesis"}


def test_exponential_decay_follows_global_step(small_run):
    output = small_run("exponential_decay").output
    # minimize added 1 to global_step at each of the 1001 steps: ten drops of 4%.
    expected = 0.1 * 0.96 ** (PROGRAMS["exponential_decay"].steps // 100)
    # float32 rate, printed with 8 significant digits.
    assert math.isclose(printed_number(r"^Final learning rate: ([0-9.]+)$", output), expected,
                        rel_tol=1e-6)
    assert re.search(r"^100 [0-9.e-]+ \[np\.int32\(101\), np\.float32\(0\.096\)\]$", output,
                     re.MULTILINE)


@pytest.mark.parametrize("name", ["mnist_layers_batch_norm", "mnist_contrib_batch_norm"])
def test_batch_norm_moving_averages_update(name, small_run):
    sess = small_run(name).namespace["sess"]
    variables = sess.graph.get_collection(tf.compat.v1.GraphKeys.GLOBAL_VARIABLES)
    means = [v for v in variables if v.op.name.endswith("moving_mean")]
    variances = [v for v in variables if v.op.name.endswith("moving_variance")]
    assert len(means) == len(variances) == 2
    # Both start at 0 and 1: UPDATE_OPS ran with the training steps.
    assert all(np.abs(value).max() > 1e-3 for value in sess.run(means))
    assert all(np.abs(value - 1).max() > 1e-3 for value in sess.run(variances))


def test_class_model_builds_under_its_scope(small_run):
    graph = small_run("mnist_class_model").namespace["sess"].graph
    names = [v.op.name for v in graph.get_collection(tf.compat.v1.GraphKeys.TRAINABLE_VARIABLES)]
    # W1, W2 (conv kernels), W3 and b3 (the dense layer), all under the model's scope.
    assert len(names) == 4 and all(name.startswith("m1/") for name in names), names


def test_ensemble_trains_both_models_and_sums_their_scores(small_run):
    run = small_run("mnist_ensemble")
    output, trace, namespace = run.output, run.trace, run.namespace
    # The two models take turns on each mini-batch.
    first, second = trace.train_ops[0], trace.train_ops[1]
    assert first != second
    assert trace.train_ops == [first, second] * (trace.num_steps // 2)
    labels = namespace["mnist"].test.labels
    summed = namespace["predictions"]
    expected = np.mean(np.argmax(summed, 1) == np.argmax(labels, 1))
    assert math.isclose(printed_number(r"^Ensemble accuracy: ([0-9.]+)$", output), expected,
                        rel_tol=1e-6)
    singles = [namespace["models"][m].predict(namespace["mnist"].test.images) for m in (0, 1)]
    np.testing.assert_allclose(summed, singles[0] + singles[1], rtol=1e-6)


def test_dropout_program_repeats_exactly(small_run, tmp_path):
    # tf.set_random_seed(777) fixes the weights, the dropout masks and the batch order.
    again = run_program("mnist_dropout", tmp_path)
    assert again.trace.losses == small_run("mnist_dropout").trace.losses
    assert again.output == small_run("mnist_dropout").output
