"""Every TF1 program of legacy_tf1/ and tests/port_programs/ ports, runs, and compares (issue 13).

For each program: ``tfcourse.port.comparison.compare_program`` runs it
unchanged, ports it, runs the Keras program from the TF1 run's weights and
mini-batches, and checks the project's bounds (first 200 steps within 1e-4 of
the loss, final accuracy within 0.3 points, or each value of a program that
trains nothing within 1e-5; dropout programs by statistics over 3 seeds).
Then every Keras program written along the way runs on its own, outside the
porter's process, in one subprocess (TensorFlow starts once).

The runs are small: a few hundred examples of synthetic or Fashion-MNIST data,
``training_epochs`` set lower with ``sets``, and a step cap for the labs that
write ``range(10001)``: both programs stop updating at the same step, so the
bounds still compare them step by step.
"""

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.port_programs.catalogue import FOLDER, PROGRAMS
from tfcourse.compat.programs import LEGACY_DIR

pytestmark = pytest.mark.slow

MNIST = dict(dataset="synthetic", max_examples=300, sets={"training_epochs": 2})
LEGACY = {
    "perceptron": {}, "perceptron_relu": {}, "perceptron_training": dict(max_steps=300),
    "mnist_loading": dict(dataset="synthetic", max_examples=200),
    "softmax": dict(dataset="synthetic", max_examples=200),
    "cross_entropy": dict(dataset="synthetic", max_examples=200),
    "reduce_mean": {},
    "mnist_softmax": MNIST, "mnist_nn_gd": MNIST, "mnist_nn_adagrad": MNIST,
    "mnist_nn_rmsprop": MNIST, "mnist_nn_momentum": MNIST, "mnist_nn_adam": MNIST,
    "mnist_nn_xavier": MNIST, "mnist_nn_deep": MNIST, "mnist_nn_homework": MNIST,
    "mnist_nn_early_stopping": MNIST, "mnist_nn_batch_norm": MNIST,
    # dropout: the final accuracy over 3 seeds needs a model past chance
    "mnist_nn_dropout": dict(dataset="fashion_mnist", max_examples=1000,
                             sets={"training_epochs": 2}, repeats=3),
}
CATALOGUE = {
    name: dict(dataset=entry.dataset, max_examples=entry.max_examples,
               repeats=3 if entry.stochastic else 1)
    for name, entry in PROGRAMS.items()
}
for name in ("logistic_regression_csv", "xor_wide", "xor_deep", "summaries",
             "linear_regression_lists", "linear_regression_placeholders", "linear_regression_csv",
             "multi_variable_matmul", "softmax_one_hot", "softmax_tf_one_hot",
             "softmax_tf_one_hot_v2", "saver", "exponential_decay"):
    CATALOGUE[name]["max_steps"] = 300  # range(2001) / range(10001) in the program
for name in ("mnist_class_model", "mnist_ensemble"):  # CNNs with dropout: past chance first
    CATALOGUE[name].update(dataset="fashion_mnist", max_examples=2000,
                           sets={"training_epochs": 2})

RESULTS: dict = {}


def _compare(path: Path, settings: dict, output_dir: Path, argv=()):
    from tfcourse.port.comparison import compare_program

    cwd = os.getcwd()
    os.chdir(path.parent)  # the CSV labs read their data by a relative name
    try:
        return compare_program(path, argv=argv, output_dir=output_dir, quiet=True, **settings)
    finally:
        os.chdir(cwd)


def _check(comparison, name):
    lines = "\n".join(check.line() for check in comparison.checks())
    assert comparison.passed(), f"{name}:\n{comparison.format_table()}"
    if comparison.trains:
        assert len(comparison.keras_losses) == len(comparison.legacy_losses), lines
        assert comparison.final is not None or comparison.port.plans[0].loss is not None
    # every layer of these programs maps onto a standard Keras layer or keras.ops
    assert comparison.port.custom_layers == 0, comparison.port.layers


RECURRENT_SCRIPTS = Path(__file__).parent / "legacy_scripts"
RECURRENT = {
    # name: (settings, the Keras layers the recurrent part becomes)
    "rnn_hello": ({}, ["LSTM", "Dense"]),
    "rnn_sentence": ({}, ["LSTM", "LSTM", "Dense"]),
    "rnn_stock": ({}, ["LSTM", "Dense"]),
    # DropoutWrapper off (keep 1.0 while training too): static_rnn's mapping compared step by
    # step; its dropout is the statistical case of the Dropout programs above
    "rnn_stacked_softmax": ({"sets": {"train_keep_prob": 1.0}}, ["LSTM", "LSTM", "TF1Dense"]),
    "rnn_bidirectional_fixed": ({}, ["LSTM", "GRU", "Dense"]),
}


@pytest.mark.parametrize("name", sorted(RECURRENT))
def test_recurrent_program_ports_to_keras_rnn_layers_and_compares(name, tmp_path_factory):
    from tests.test_compat_rnn_programs import _stock_csv

    settings, layers = RECURRENT[name]
    argv = []
    if name == "rnn_stock":
        csv = tmp_path_factory.mktemp("stock") / "stock.csv"
        _stock_csv(csv)
        argv = [str(csv)]
    comparison = _compare(RECURRENT_SCRIPTS / f"{name}.py", settings,
                          tmp_path_factory.mktemp(name), argv)
    _check(comparison, name)
    assert not comparison.stochastic  # compared step by step
    kinds = [row[2] for row in comparison.port.layers if row[2] != "keras.ops"]
    assert kinds == layers, comparison.port.layers
    RESULTS[f"legacy_scripts/{name}"] = (comparison.keras_program, RECURRENT_SCRIPTS, argv,
                                         settings)


@pytest.mark.parametrize("name", sorted(LEGACY))
def test_legacy_program_ports_and_compares(name, tmp_path_factory):
    out = tmp_path_factory.mktemp(name)
    comparison = _compare(LEGACY_DIR / f"{name}.py", LEGACY[name], out)
    _check(comparison, name)
    RESULTS[name] = (comparison.keras_program, LEGACY_DIR, [], LEGACY[name])


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_course_style_program_ports_and_compares(name, tmp_path_factory):
    out = tmp_path_factory.mktemp(name)
    entry = PROGRAMS[name]
    argv = entry.arguments(tmp_path_factory.mktemp(f"{name}_argv"))
    comparison = _compare(entry.path, CATALOGUE[name], out, argv)
    _check(comparison, name)
    RESULTS[f"port_programs/{name}"] = (comparison.keras_program, FOLDER, argv, CATALOGUE[name])


def test_every_written_keras_program_runs_on_its_own():
    # After the comparisons above (this file runs in order): the Keras programs as written,
    # one after the other in a fresh interpreter, with the data knobs of their runs.
    assert RESULTS, "the comparison tests of this file run first"
    # The step cap of the comparison holds here too, as TFCOURSE_MAX_STEPS does for a TF1 program:
    # after it, train_on_batch computes the loss without an update (10001 steps of a 2-weight
    # regression prove nothing more than 300 and cost a minute of CI).
    jobs = [(str(path), str(folder), list(argv), settings.get("dataset"),
             settings.get("max_examples"), settings.get("max_steps"))
            for path, folder, argv, settings in RESULTS.values()]
    runner = textwrap.dedent(f"""
        import os, runpy, sys, time
        import keras
        train_on_batch, test_on_batch = keras.Model.train_on_batch, keras.Model.test_on_batch
        cap = {{"steps": None, "done": 0}}

        def capped_train_on_batch(self, x, y=None, *args, **kwargs):
            if cap["steps"] is not None and cap["done"] >= cap["steps"]:
                return test_on_batch(self, x, y, **{{k: v for k, v in kwargs.items()
                                                    if k in ("sample_weight", "return_dict")}})
            cap["done"] += 1
            return train_on_batch(self, x, y, *args, **kwargs)

        keras.Model.train_on_batch = capped_train_on_batch
        for path, folder, argv, dataset, examples, steps in {jobs!r}:
            os.environ.pop("TFCOURSE_DATASET", None)
            os.environ.pop("TFCOURSE_MAX_EXAMPLES", None)
            if dataset:
                os.environ["TFCOURSE_DATASET"] = dataset
            if examples:
                os.environ["TFCOURSE_MAX_EXAMPLES"] = str(examples)
            cap.update(steps=steps, done=0)
            os.chdir(folder)
            sys.argv = [path, *argv]
            start = time.perf_counter()
            runpy.run_path(path, run_name="__main__")
            print("@@ ran", path, flush=True)
            print("@@ seconds", round(time.perf_counter() - start, 1), path, flush=True)
    """)
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "CUDA_VISIBLE_DEVICES": "",
                   "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", runner], capture_output=True, text=True,
                          env=environment, timeout=1200)
    ran = re.findall(r"^@@ ran (.+)$", done.stdout, re.M)
    print("\n".join(re.findall(r"^@@ seconds .+$", done.stdout, re.M)))  # shown with -s
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(ran) == sorted(job[0] for job in jobs)
