"""``tfcourse port`` and ``tfcourse compare PROGRAM.py`` as a user runs them (issue 13)."""

import ast
import json
import re
from pathlib import Path

import pytest

from tfcourse.cli.main import main as tfcourse_cli
from tfcourse.compat.programs import LEGACY_DIR

PERCEPTRON = LEGACY_DIR / "perceptron_training.py"

LOGISTIC = """\
import tensorflow as tf
tf.set_random_seed(1)
x_data = [[1, 2], [2, 3], [3, 1], [4, 3], [5, 3], [6, 2]]
y_data = [[0], [0], [0], [1], [1], [1]]
X = tf.placeholder(tf.float32, shape=[None, 2])
Y = tf.placeholder(tf.float32, shape=[None, 1])
W = tf.Variable(tf.random_normal([2, 1]))
b = tf.Variable(tf.random_normal([1]))
hypothesis = tf.sigmoid(tf.matmul(X, W) + b)
cost = -tf.reduce_mean(Y * tf.log(hypothesis) + (1 - Y) * tf.log(1 - hypothesis))
train = tf.train.{optimizer}.minimize(cost)
sess = tf.Session()
sess.run(tf.global_variables_initializer())
for step in range(steps):
    cost_val, _ = sess.run([cost, train], feed_dict={{X: x_data, Y: y_data}})
print("cost", cost_val)
"""


def _program(tmp_path, optimizer="GradientDescentOptimizer(learning_rate=0.1)", steps=30):
    path = tmp_path / "logistic.py"
    path.write_text(f"steps = {steps}\n" + LOGISTIC.format(optimizer=optimizer))
    return path


def test_port_writes_a_runnable_keras_program_and_says_what_became_what(tmp_path, capsys):
    out = tmp_path / "perceptron_keras.py"
    assert tfcourse_cli(["port", str(PERCEPTRON), "-o", str(out)]) == 0
    stdout, stderr = capsys.readouterr()
    assert re.search(r"^1 +hypothesis +TF1Dense +\d+ +matmul_plus_bias$", stdout, re.M), stdout
    assert f"wrote {out} (run it: python {out}; compare: tfcourse compare {PERCEPTRON})" in stdout
    assert stderr.startswith("Porting ") and "Traceback" not in stderr
    source = out.read_text()
    ast.parse(source)
    assert source.startswith('"""Keras 3 version of perceptron_training.py')
    assert "def cost(Y, hypothesis):" in source  # the hand-written log loss, kept
    assert "model.compile(" in source and 'convention="tf1"' in source
    assert "tf.Session" not in source and "placeholder" not in source


def test_port_default_output_is_beside_the_program(tmp_path, capsys):
    program = _program(tmp_path)
    assert tfcourse_cli(["port", str(program), "--quiet"]) == 0
    assert (tmp_path / "logistic_keras.py").is_file()
    assert capsys.readouterr().out == ""


def test_port_errors_name_the_file_and_line(tmp_path, capsys):
    assert tfcourse_cli(["port", str(tmp_path / "missing.py")]) == 1
    assert f"error: No TF1 program at {tmp_path / 'missing.py'}" in capsys.readouterr().err
    program = _program(tmp_path, optimizer="FtrlOptimizer(0.1)")
    assert tfcourse_cli(["port", str(program)]) == 1
    err = capsys.readouterr().err
    assert re.search(rf"^error: {re.escape(str(program))}:12: tf\.train\.FtrlOptimizer has no "
                     r"tfcourse counterpart \(ported: .*AdamOptimizer", err, re.M), err
    broken = tmp_path / "broken.py"
    broken.write_text("import tensorflow as tf\nx = tf.placeholder(tf.float32)\n1 / 0\n")
    assert tfcourse_cli(["port", str(broken)]) == 1
    err = capsys.readouterr().err
    assert f"error: {broken}:3: the program failed while it was run to capture it: " \
           "ZeroDivisionError: division by zero" in err
    assert "Traceback" not in err


def test_compare_program_checks_the_bounds_and_writes_its_report(tmp_path, capsys):
    program = _program(tmp_path, steps=40)
    out = tmp_path / "compare"
    assert tfcourse_cli(["compare", str(program), "--output-dir", str(out), "--quiet"]) == 0
    stdout = capsys.readouterr().out
    assert "PASS  Keras vs TF1, loss of the first 40 steps" in stdout
    report = json.loads((out / "compare.json").read_text())
    assert report["passed"] is True and report["steps"] == 40
    assert len(report["step_losses"]["tf1"]) == len(report["step_losses"]["keras"]) == 40
    assert report["standard_layers"] == 1 and report["custom_layers"] == 0
    assert (out / "logistic_keras.py").is_file()
    assert (out / "losses.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_program_show_code_and_set(tmp_path, capsys):
    program = _program(tmp_path)
    assert tfcourse_cli(["compare", str(program), "--show-code"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("TF1") and "Keras 3" in out.splitlines()[0]
    assert "tf.train.GradientDescentOptimizer" in out and "model.train_on_batch(" in out
    assert tfcourse_cli(["compare", str(program), "--set", "steps"]) == 1
    assert ("error: `--set` takes NAME=VALUE (a top-level assignment of the program). "
            "Received: --set 'steps'") in capsys.readouterr().err
    assert tfcourse_cli(["compare", str(program), "--set", "epochs=2", "--quiet"]) == 1
    assert ("error: `--set epochs=...`: the program must assign epochs exactly once at its top "
            "level. Received: 0 assignments") in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["--max-steps=0", "--max-examples=-1"])
def test_compare_program_refuses_bad_sizes_while_parsing(bad, capsys):
    assert tfcourse_cli(["compare", str(PERCEPTRON), bad]) == 2
    assert "must be an integer in [1, inf)" in capsys.readouterr().err


ARGV_PROGRAM = """\
import sys
import numpy as np
import tensorflow as tf
tf.set_random_seed(3)
steps = int(sys.argv[1])
x_data = np.loadtxt(sys.argv[2], delimiter=",", dtype=np.float32)
X = tf.placeholder(tf.float32, [None, 1])
Y = tf.placeholder(tf.float32, [None, 1])
W = tf.Variable(tf.random_normal([1, 1]))
b = tf.Variable(tf.zeros([1]))
cost = tf.reduce_mean(tf.square(tf.matmul(X, W) + b - Y))
train = tf.train.GradientDescentOptimizer(0.05).minimize(cost)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(steps):
        sess.run(train, feed_dict={X: x_data[:, :1], Y: x_data[:, 1:]})
"""


def test_program_arguments_after_the_double_dash_go_to_both_versions(tmp_path, capsys):
    program = tmp_path / "regression.py"
    program.write_text(ARGV_PROGRAM)
    data = tmp_path / "points.csv"
    data.write_text("\n".join(f"{x},{2 * x + 1}" for x in (0.0, 0.5, 1.0, 1.5)))
    out = tmp_path / "compare"
    assert tfcourse_cli(["compare", str(program), "--output-dir", str(out), "--quiet", "--",
                         "7", str(data)]) == 0
    stdout = capsys.readouterr().out
    assert "PASS  Keras vs TF1, loss of the first 7 steps" in stdout  # argv[1] = 7 in both
    assert tfcourse_cli(["port", str(program), "-o", str(tmp_path / "r.py"), "--quiet", "--",
                         "3", str(data)]) == 0
    assert (tmp_path / "r.py").is_file()


def test_double_dash_arguments_are_refused_where_nothing_takes_them(capsys):
    assert tfcourse_cli(["compare", "mnist_softmax", "--", "x"]) == 1
    assert ("error: program arguments 'x' are for a TF1 program (tfcourse compare PROGRAM.py "
            "-- ARG...), not for the lab 'mnist_softmax'") in capsys.readouterr().err
    assert tfcourse_cli(["version", "--", "x"]) == 2
    assert ("`--` and the program arguments after it are for tfcourse port and tfcourse compare "
            "PROGRAM.py; received ['x']") in capsys.readouterr().err


def test_an_rnn_with_sequence_lengths_says_why_it_does_not_port(capsys):
    program = Path(__file__).parent / "legacy_scripts" / "rnn_bidirectional.py"
    assert tfcourse_cli(["port", str(program), "-o", "/dev/null", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert re.search(rf"^error: {re.escape(str(program))}:\d+: "
                     r"tf\.nn\.bidirectional_dynamic_rnn\(sequence_length=\.\.\.\) does not port "
                     r"yet: .* \(sequences of one length port\)$", err, re.M), err
