"""``tfcourse legacy run`` on TF1 programs beyond the seeds, errors, and isolation.

The scripts in tests/legacy_scripts/ are written as TF1 users wrote them
(``import tensorflow as tf``) and run unchanged.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tfcourse.cli.main import main as tfcourse_cli
from tfcourse.compat import Trace, UnsupportedSymbolError, run_script
from tfcourse.compat.programs import LEGACY_DIR

SCRIPTS = Path(__file__).parent / "legacy_scripts"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("TFCOURSE_DATASET", "TFCOURSE_MAX_EXAMPLES", "TFCOURSE_MAX_STEPS", "TFCOURSE_SEED",
                 "TFCOURSE_INIT", "TFCOURSE_TRACE"):
        monkeypatch.delenv(name, raising=False)
    yield
    assert tf.executing_eagerly(), "graph mode leaked out of the test"


def test_linear_regression_from_csv(tmp_path):
    x = np.linspace(-1, 1, 40)
    np.savetxt(tmp_path / "data.csv", np.c_[x, 2 * x + 1], delimiter=",")
    result = run_script(SCRIPTS / "linear_regression_csv.py", [str(tmp_path / "data.csv")])
    sess, W, b = (result.namespace[k] for k in ("sess", "W", "b"))
    # y = 2x + 1 exactly: 500 full-batch GD steps reach it to float32 precision.
    np.testing.assert_allclose(sess.run(W), [[2.0]], atol=1e-4)
    np.testing.assert_allclose(sess.run(b), [1.0], atol=1e-4)


def test_logistic_regression_from_csv(tmp_path, capsys):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 2))
    labels = (features.sum(axis=1) + 0.5 * rng.normal(size=200) > 0).astype(float)
    np.savetxt(tmp_path / "data.csv", np.c_[features, labels], delimiter=",")
    code = tfcourse_cli(["legacy", "run", str(SCRIPTS / "logistic_regression_csv.py"),
                         str(tmp_path / "data.csv")])
    assert code == 0
    accuracy = float(capsys.readouterr().out.split("Accuracy:")[1])
    assert accuracy > 0.8  # the noise-free boundary alone scores about 0.87 on this sample


def test_xor_network_learns_xor():
    result = run_script(SCRIPTS / "xor_nn.py")
    np.testing.assert_array_equal(result.namespace["p"].ravel(), [0, 1, 1, 0])


def test_tf_layers_mnist_with_batch_norm_update_ops_and_dropout(capsys):
    result = run_script(SCRIPTS / "mnist_layers.py", dataset="fashion_mnist", max_examples=400,
                        trace=True)
    output = capsys.readouterr().out
    assert ("Variables: ['batch_normalization/beta', 'batch_normalization/gamma', 'dense/kernel', "
            "'dense_1/bias', 'dense_1/kernel', 'fully_connected/biases', 'fully_connected/weights']"
            in output)
    # UPDATE_OPS ran with every step: the moving mean left its initial zeros.
    assert float(output.split("Moving mean norm:")[1].split()[0]) > 0.1
    accuracy = float(output.split("Accuracy:")[1])
    # 12 Adam steps on Fashion-MNIST; chance is 0.1. (0.3975 with TF1's control flow, whose
    # dropout ops get other op seeds than TensorFlow 2's If branches: another, equally valid mask.)
    assert accuracy > 0.3
    assert result.trace.num_steps == 12


def test_cnn_with_conv2d_and_max_pooling(capsys):
    result = run_script(SCRIPTS / "cnn_mnist.py", dataset="fashion_mnist", max_examples=300)
    output = capsys.readouterr().out
    assert "Shapes: [None, 14, 14, 8] [None, 7, 7, 16] [None, 784]" in output
    assert float(output.split("Accuracy:")[1]) > 0.3  # 6 Adam steps; chance is 0.1
    assert result.exit_code == 0


def test_saver_save_and_restore(tmp_path, capsys):
    run_script(SCRIPTS / "save_restore.py", [str(tmp_path)])
    assert "Restored equal: True" in capsys.readouterr().out
    assert (tmp_path / "checkpoint").is_file()
    assert list(tmp_path.glob("model.ckpt.index"))


def test_summaries_are_written_and_read_back(tmp_path):
    run_script(SCRIPTS / "summaries.py", [str(tmp_path)])
    (events,) = tmp_path.glob("events.out.tfevents.*")
    scalars, histograms, has_graph = {}, set(), False
    for event in tf.compat.v1.train.summary_iterator(str(events)):
        has_graph |= bool(event.graph_def)
        for value in event.summary.value:
            if value.HasField("simple_value"):
                scalars.setdefault(value.tag, []).append((event.step, value.simple_value))
            if value.HasField("histo"):
                histograms.add(value.tag)
    assert has_graph and histograms == {"weights1"}
    assert [step for step, _ in scalars["cost"]] == [0, 1, 2, 3, 4]
    costs = [cost for _, cost in scalars["cost"]]
    assert costs[-1] < costs[0] and all(np.isfinite(costs))


def test_app_run_reset_default_graph_and_compat_v1_import(capsys):
    result = run_script(SCRIPTS / "app_run.py", ["first", "second"])
    assert result.exit_code == 0
    assert "argv: ['first', 'second'] doubled: [2. 5.]" in capsys.readouterr().out


def test_exit_code_of_the_script_is_returned(tmp_path):
    script = tmp_path / "exits.py"
    script.write_text("import sys\nimport tensorflow as tf\nsys.exit(3)\n")
    assert run_script(script).exit_code == 3
    assert tfcourse_cli(["legacy", "run", str(script)]) == 3


def test_unsupported_symbol_names_its_replacement(capsys):
    with pytest.raises(UnsupportedSymbolError, match=r"tf\.contrib\.rnn\.LayerNormBasicLSTMCell is not available.*keras\.layers\.LSTMCell"):
        run_script(SCRIPTS / "unsupported_contrib.py")
    assert tfcourse_cli(["legacy", "run", str(SCRIPTS / "unsupported_contrib.py")]) == 1
    error = capsys.readouterr().err
    assert f"unsupported_contrib.py:4: UnsupportedSymbolError: tf.contrib.rnn.LayerNormBasicLSTMCell is not available" in error
    assert "keras.layers.LSTMCell" in error


def test_from_import_of_a_removed_symbol_keeps_the_message(tmp_path):
    script = tmp_path / "bn.py"
    script.write_text("from tensorflow.contrib.layers import layer_norm\n")
    with pytest.raises(AttributeError, match=r"tf\.contrib\.layers\.layer_norm .*keras\.layers\.LayerNormalization"):
        run_script(script)
    script.write_text("import tensorflow.contrib.slim as slim\n")
    with pytest.raises(AttributeError, match=r"tf\.contrib\.slim is not available"):
        run_script(script)


def test_missing_script_is_reported(tmp_path, capsys):
    assert tfcourse_cli(["legacy", "run", str(tmp_path / "nope.py")]) == 1
    assert f"error: No TF1 program at {tmp_path / 'nope.py'}" in capsys.readouterr().err


def test_keras_fit_works_after_a_legacy_run():
    import keras

    run_script(LEGACY_DIR / "reduce_mean.py")
    run_script(SCRIPTS / "xor_nn.py")
    assert tf.executing_eagerly()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(np.ones((8, 2)), np.ones((8, 1)), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    # The script's imports were redirected for the script only.
    import tensorflow

    assert hasattr(tensorflow, "function") and not hasattr(tensorflow, "placeholder")


def test_list_and_show(capsys):
    assert tfcourse_cli(["legacy", "list"]) == 0
    listing = capsys.readouterr().out
    assert "mnist_nn_dropout" in listing and "Deep Neural Nets with Dropout: 98%" in listing
    assert tfcourse_cli(["legacy", "show", "perceptron"]) == 0
    shown = capsys.readouterr().out
    assert "import tensorflow as tf\n" in shown and "tfcourse" not in shown
    assert tfcourse_cli(["legacy", "show", "perceptrons"]) == 1
    assert "`name` must be one of" in capsys.readouterr().err


def _subprocess(args, env_extra, cwd):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "MPLBACKEND": "Agg", **env_extra}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=300)


def test_standalone_program_switches_graph_mode_and_writes_its_trace(tmp_path):
    # `python legacy_tf1/mnist_softmax.py`: no runner, only the environment knobs.
    trace_path = tmp_path / "trace.npz"
    completed = _subprocess(
        [str(LEGACY_DIR / "mnist_softmax.py")],
        {"TFCOURSE_DATASET": "synthetic", "TFCOURSE_MAX_EXAMPLES": "200",
         "TFCOURSE_TRACE": str(trace_path)},
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.count("Epoch:") == 15 and "Accuracy:" in completed.stdout
    trace = Trace.load(trace_path)
    assert trace.num_steps == 30 and len(trace.train_batches) == 30
    assert sorted(trace.initial_weights) == ["Variable", "Variable_1"]
    assert trace.datasets[0]["dataset"] == "synthetic" and trace.datasets[0]["seed"] == 777


def test_runner_module_runs_an_unmodified_script_in_a_fresh_process(tmp_path):
    completed = _subprocess(["-m", "tfcourse.compat.runner", str(SCRIPTS / "xor_nn.py")], {}, cwd=REPO)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "Accuracy: 1.0" in completed.stdout


# Arguments after the script (issue 15, item 1) and the step cap (item 9) ------------------

def test_tfcourse_options_after_the_script_are_tfcourse_s_and_the_rest_the_program_s(
        tmp_path, capsys):
    trace_path = tmp_path / "trace.npz"
    code = tfcourse_cli(["legacy", "run", str(LEGACY_DIR / "mnist_softmax.py"), "--dataset",
                         "synthetic", "--max-examples=200", "--trace", str(trace_path)])
    assert code == 0, capsys.readouterr().err
    trace = Trace.load(trace_path)
    assert trace.datasets[0]["dataset"] == "synthetic"  # not MNIST: the option was tfcourse's
    assert trace.datasets[0]["train"] == 200 and trace.metadata["argv"] == []
    capsys.readouterr()
    # other arguments, and everything after `--` (even tfcourse's spellings), are the program's
    assert tfcourse_cli(["legacy", "run", str(SCRIPTS / "app_run.py"), "first", "--seed", "3",
                         "--", "--seed", "5", "--"]) == 0
    assert "argv: ['first', '--seed', '5', '--'] doubled: [2. 5.]" in capsys.readouterr().out
    assert tfcourse_cli(["legacy", "run", str(SCRIPTS / "app_run.py"), "--dataset", "cifar"]) == 2
    assert "error: argument --dataset: invalid choice: 'cifar'" in capsys.readouterr().err


def test_legacy_run_help_says_where_the_program_arguments_go(capsys):
    assert tfcourse_cli(["legacy", "run", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "may come before or after SCRIPT" in text
    assert "everything after `--` goes to it as written" in text


def test_max_steps_stops_the_program_and_says_so(tmp_path, capsys):
    trace_path = tmp_path / "trace.npz"
    # 300 examples: 3 steps of 100 per epoch, so step 4 is in epoch 2 of 15
    code = tfcourse_cli(["legacy", "run", str(LEGACY_DIR / "mnist_softmax.py"), "--dataset",
                         "synthetic", "--max-examples", "300", "--max-steps", "4", "--trace",
                         str(trace_path)])
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.count("Epoch:") == 1 and "Accuracy" not in captured.out  # loop stopped
    assert captured.err.splitlines()[-1] == (
        "Training stopped after 4 steps (--max-steps 4): the program ends there; the rest of "
        "its training loop and its closing lines did not run.")
    assert Trace.load(trace_path).num_steps == 4
    result = run_script(LEGACY_DIR / "mnist_softmax.py", dataset="synthetic", max_examples=300,
                        max_steps=4)
    assert result.stopped_after_steps == 4 and result.exit_code == 0
    assert run_script(LEGACY_DIR / "mnist_softmax.py", dataset="synthetic", max_examples=300,
                      max_steps=45).stopped_after_steps is None  # 45 steps: it ended by itself
