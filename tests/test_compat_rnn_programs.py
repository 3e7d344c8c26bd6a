"""Recurrent TF1 programs (tests/legacy_scripts/rnn_*.py) run unchanged through ``tfcourse legacy run``.

Written as TF1 course programs were (``import tensorflow as tf``,
``tf.contrib.rnn``, ``tf.nn.dynamic_rnn``, ``tf.contrib.seq2seq.sequence_loss``),
small enough to train in a few seconds; each test checks what the program
learned, not only that it ran.
"""

import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from tfcourse.cli.main import main as tfcourse_cli
from tfcourse.compat import run_script
from tfcourse.compat.layer_calls import layer_calls

SCRIPTS = Path(__file__).parent / "legacy_scripts"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("TFCOURSE_DATASET", "TFCOURSE_MAX_EXAMPLES", "TFCOURSE_MAX_STEPS", "TFCOURSE_SEED",
                 "TFCOURSE_INIT", "TFCOURSE_TRACE"):
        monkeypatch.delenv(name, raising=False)
    yield
    assert tf.executing_eagerly(), "graph mode leaked out of the test"


def _legacy_run(capsys, script, *arguments):
    assert tfcourse_cli(["legacy", "run", str(SCRIPTS / script), *arguments]) == 0
    return capsys.readouterr().out


def _numbers(pattern, text):
    return [float(value) for value in re.findall(pattern, text)]


def test_hello_rnn_learns_ihello(capsys):
    output = _legacy_run(capsys, "rnn_hello.py")
    predictions = re.findall(r"Prediction str: (\w+)", output)
    losses = _numbers(r"loss: ([0-9.e-]+)", output)
    assert len(predictions) == len(losses) == 50
    assert predictions[0] != "ihello" and predictions[-1] == "ihello"
    assert losses[-1] < 0.05 * losses[0]  # 50 Adam steps: from ~1.6 to ~0.002


def test_sentence_rnn_with_multi_rnn_cell_reproduces_the_sentence(capsys):
    output = _legacy_run(capsys, "rnn_sentence.py")
    assert "One-hot shape: [None, 10, 23]" in output
    assert ("Variables: ['rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel:0', "
            "'rnn/multi_rnn_cell/cell_0/basic_lstm_cell/bias:0', "
            "'rnn/multi_rnn_cell/cell_1/basic_lstm_cell/kernel:0', "
            "'rnn/multi_rnn_cell/cell_1/basic_lstm_cell/bias:0', 'fully_connected/weights:0', "
            "'fully_connected/biases:0']") in output
    losses = _numbers(r"\d+ loss: ([0-9.e-]+)", output)
    assert losses[-1] < 0.2 * losses[0]
    predicted = output.split("Predicted: ")[1].split("\n")[0]
    expected = output.split("Expected:  ")[1].split("\n")[0]
    assert len(predicted) == len(expected)
    agreement = np.mean([a == b for a, b in zip(predicted, expected)])
    assert agreement > 0.9  # 60 steps; chance is 1/23 per character


def test_stacked_lstm_with_softmax_output_carries_the_first_symbol(capsys):
    output = _legacy_run(capsys, "rnn_stacked_softmax.py")
    assert "Logits shape: [None, 3]" in output
    accuracies = _numbers(r"Accuracy= ([0-9.]+)", output)
    assert accuracies[0] < 0.6  # at step 1 the first symbol is not yet carried (chance 1/3)
    assert _numbers(r"Final accuracy: ([0-9.]+)", output) == [1.0]


def _stock_csv(path, days=120):
    """Open, high, low, volume, close of a random walk, newest first (as the course's file)."""
    rng = np.random.default_rng(0)
    close = 100 + np.cumsum(rng.normal(0, 1, days))
    open_ = close + rng.normal(0, 0.5, days)
    high = np.maximum(open_, close) + np.abs(rng.normal(0, 0.5, days))
    low = np.minimum(open_, close) - np.abs(rng.normal(0, 0.5, days))
    volume = rng.uniform(1e5, 2e5, days)
    rows = np.c_[open_, high, low, volume, close][::-1]
    np.savetxt(path, rows, delimiter=",")
    return rows


def test_stock_lstm_regression_from_a_csv_window(tmp_path, capsys):
    rows = _stock_csv(tmp_path / "stock.csv")
    output = _legacy_run(capsys, "rnn_stock.py", str(tmp_path / "stock.csv"))
    assert "Shapes: [None, 7, 10] [None, 1]" in output
    losses = _numbers(r"loss: ([0-9.e-]+)", output)
    assert losses[-1] < 0.05 * losses[0]
    # The test targets (last 30% of the windows), scaled as the program scales them.
    close = rows[::-1, -1]
    scaled = (close - close.min()) / (close.max() - close.min() + 1e-7)
    targets = scaled[7:][int((len(close) - 7) * 0.7):]
    (rmse,) = _numbers(r"RMSE: ([0-9.e-]+)", output)
    # A random walk: about as good as "tomorrow = today" (0.067 here), clearly better than
    # predicting the test mean (RMSE = std 0.11).
    assert rmse < 0.8 * targets.std()


def test_bidirectional_tagger_uses_the_future_and_masks_padding(capsys):
    output = _legacy_run(capsys, "rnn_bidirectional.py")
    assert "Output shapes: [None, 6, 8] [None, 6, 16]" in output
    assert "Zero past length: True" in output
    (accuracy,) = _numbers(r"Accuracy: ([0-9.]+)", output)
    assert accuracy > 0.95  # the next symbol is only visible to the backward cell


def test_bidirectional_lstm_and_gru_tagger_sees_the_next_symbol(capsys):
    output = _legacy_run(capsys, "rnn_bidirectional_fixed.py")
    assert "Output shapes: [None, 6, 8] [None, 6, 16]" in output
    losses = _numbers(r"step \d+ loss ([0-9.e-]+)", output)
    assert len(losses) == 5 and losses[-1] < 0.01 * losses[0]
    (accuracy,) = _numbers(r"Accuracy: ([0-9.]+)", output)
    assert accuracy > 0.95  # the label is the next symbol: only the backward GRU sees it


def test_hello_rnn_records_its_layer_calls_for_the_porter(capsys):
    result = run_script(SCRIPTS / "rnn_hello.py")
    capsys.readouterr()
    calls = layer_calls(result.namespace["sess"].graph)
    assert [c.kind for c in calls] == ["tf.nn.dynamic_rnn", "tf.contrib.layers.fully_connected",
                                       "tf.contrib.seq2seq.sequence_loss"]
    rnn_call = calls[0]
    lines = (SCRIPTS / "rnn_hello.py").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if "tf.nn.dynamic_rnn(" in text)
    assert rnn_call.location == f"{SCRIPTS / 'rnn_hello.py'}:{line}"
    assert rnn_call.inputs[0] is result.namespace["X"]
    assert rnn_call.config["cells"][0]["type"] == "BasicLSTMCell"
    assert rnn_call.config["initial_state"] is True
    assert sorted(v.op.name for v in rnn_call.variables.values()) == [
        "rnn/basic_lstm_cell/bias", "rnn/basic_lstm_cell/kernel"]
