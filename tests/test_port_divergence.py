"""When a TF1 program and its Keras version part, ``compare`` says where and why (issue 13).

Three ways to part, each provoked on purpose: an update rule that differs (a
learning rate changed in the Keras program), a forward computation that
differs (an activation changed), and the course's batch-norm lab, whose own
float32 rounding grows with training: the report shows that the TF1 program,
started one ulp away from its own weights, parts from itself as much, so no
step-by-step bound can hold for it.
"""

import numpy as np
import pytest

import tfcourse.port
from tfcourse.compat.programs import LEGACY_DIR
from tfcourse.port.comparison import compare_program

pytestmark = pytest.mark.slow

PROGRAM = """\
import tensorflow as tf
tf.set_random_seed(3)
x_data = [[1, 2], [2, 3], [3, 1], [4, 3], [5, 3], [6, 2]]
y_data = [[0], [0], [0], [1], [1], [1]]
X = tf.placeholder(tf.float32, shape=[None, 2])
Y = tf.placeholder(tf.float32, shape=[None, 1])
W = tf.Variable(tf.random_normal([2, 1]))
b = tf.Variable(tf.random_normal([1]))
hypothesis = tf.sigmoid(tf.matmul(X, W) + b)
cost = -tf.reduce_mean(Y * tf.log(hypothesis) + (1 - Y) * tf.log(1 - hypothesis))
train = tf.train.GradientDescentOptimizer(learning_rate=0.1).minimize(cost)
sess = tf.Session()
sess.run(tf.global_variables_initializer())
for step in range(60):
    cost_val, _ = sess.run([cost, train], feed_dict={X: x_data, Y: y_data})
"""


def _tampered(monkeypatch, old, new):
    """Port as usual, then change the written Keras program (a porter bug, on purpose)."""
    real = tfcourse.port.port

    def port(*args, **kwargs):
        result = real(*args, **kwargs)
        assert old in result.source
        result.source = result.source.replace(old, new)
        return result

    monkeypatch.setattr(tfcourse.port, "port", port)


def test_a_different_update_rule_is_found_at_the_second_step(tmp_path, monkeypatch):
    program = tmp_path / "logistic.py"
    program.write_text(PROGRAM)
    _tampered(monkeypatch, "learning_rate=0.1", "learning_rate=0.2")
    comparison = compare_program(program, output_dir=tmp_path, quiet=True)
    assert not comparison.passed()
    divergence = comparison.divergence
    # step 1's loss comes before any update, so it still agrees
    assert divergence.first_nonzero_step == 2 and divergence.step == 2
    assert divergence.first_relative > 1e-4
    assert divergence.variable in ("Variable", "Variable_1")
    assert divergence.cause.startswith("the update of the weights differs")
    assert "first divergence: step 2" in comparison.format_table()


def test_a_different_forward_computation_is_found_at_the_first_step(tmp_path, monkeypatch):
    program = tmp_path / "logistic.py"
    program.write_text(PROGRAM)
    _tampered(monkeypatch, "tf.math.log(hypothesis)", "tf.math.log(hypothesis + 0.001)")
    comparison = compare_program(program, output_dir=tmp_path, quiet=True)
    divergence = comparison.divergence
    assert divergence.first_nonzero_step == 1 and divergence.step == 1
    assert divergence.cause.startswith("the first loss already differs, before any update")


def test_forward_only_program_compares_each_value(tmp_path, monkeypatch):
    comparison = compare_program(LEGACY_DIR / "perceptron.py", output_dir=tmp_path, quiet=True)
    assert comparison.passed() and not comparison.trains
    [(line, name, difference)] = comparison.forward
    assert line == 21 and difference == 0.0  # the same float32 ops on the same weights
    _tampered(monkeypatch, 'activation="sigmoid"', 'activation="tanh"')
    comparison = compare_program(LEGACY_DIR / "perceptron.py", output_dir=tmp_path, quiet=True)
    assert not comparison.passed()
    assert "FAIL  line 21: predicted values" in comparison.format_table()


def test_batch_norm_lab_rounding_grows_as_much_in_the_tf1_program_itself(tmp_path, monkeypatch):
    # Whether the two programs part by themselves depends on the CPU (here: from a few ulps at
    # step 1 to 0.023 at step 196; on another CI machine they stayed within the bound), so the
    # Keras program gets a rounding-sized change on purpose: epsilon 1e-3 -> 1e-3 + 1e-8 moves
    # the normalized values by about 5e-9 relative, under one float32 ulp for most of them.
    # 250 Adam steps on Fashion-MNIST grow it past the bound; the TF1 program started one ulp
    # away grows as far, which is what names the cause.
    _tampered(monkeypatch, 'epsilon=0.001, name="L1_batchnormalization"',
              'epsilon=0.00100001, name="L1_batchnormalization"')
    comparison = compare_program(LEGACY_DIR / "mnist_nn_batch_norm.py", dataset="fashion_mnist",
                                 max_examples=25000, sets={"training_epochs": 1},
                                 output_dir=tmp_path, quiet=True)
    assert not comparison.passed()
    divergence = comparison.divergence
    assert divergence.first_relative is not None and divergence.first_relative <= 1e-6
    assert divergence.self_gap >= 0.1 * divergence.keras_gap
    assert divergence.cause.startswith("float32 rounding, amplified by training")
    gap = np.abs(comparison.keras_losses - comparison.legacy_losses)
    assert gap[:10].max() < 1e-5  # it starts at rounding level
