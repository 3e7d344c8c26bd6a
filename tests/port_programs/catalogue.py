"""The course-style TF1 programs of this folder and how the tests run them small.

One table, :data:`PROGRAMS`, shared by tests/test_port_programs_run.py (each
program runs unchanged under ``tfcourse.compat``) and by the porter's tests
(issue 13: ``tfcourse port`` / ``tfcourse compare`` on each of them).

A run uses the knobs of :mod:`tfcourse.compat.settings`: ``dataset``,
``max_examples`` (per split) and ``max_steps`` (``None``: the program's own
count). The programs reading a CSV name it relative to the working directory,
as the course's labs did: run them with this folder as the working directory
(``data_files`` lists what they read). In ``argv``, :data:`TMP` stands for a
fresh empty folder.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

FOLDER = Path(__file__).resolve().parent

TMP = "{tmp}"

# `print('Accuracy:', ...)` of the lab 10/11 programs, and the `"\nAccuracy: ", a` of labs 5 and 9.
ACCURACY = r"^Accuracy:\s+([0-9.]+)\s*$"


@dataclasses.dataclass(frozen=True)
class PortProgram:
    """One program and its small run.

    Attributes:
        name: the file name without ``.py``.
        exercises: what the program exercises, for the porter.
        steps: how many training steps the small run records (the program's
            own count when ``max_steps`` is ``None``).
        dataset: ``TFCOURSE_DATASET`` of the small run (``None``: no
            ``input_data`` in the program).
        max_examples: ``TFCOURSE_MAX_EXAMPLES`` of the small run.
        max_steps: ``TFCOURSE_MAX_STEPS`` of the small run.
        argv: the program's arguments; :data:`TMP` is a fresh empty folder.
        data_files: files of this folder the program reads by a relative name.
        output: regular expressions (``re.MULTILINE``) its output must match.
        accuracy: ``(regex with one group, minimum)``: the accuracy the small
            run must print at least; ``None`` where a few steps stay near chance.
        stochastic: training draws random masks (dropout): the porter's
            ``compare`` checks such a program by statistics over seeds.
    """

    name: str
    exercises: str
    steps: int
    dataset: str | None = None
    max_examples: int | None = None
    max_steps: int | None = None
    argv: tuple[str, ...] = ()
    data_files: tuple[str, ...] = ()
    output: tuple[str, ...] = ()
    accuracy: tuple[str, float] | None = None
    stochastic: bool = False

    @property
    def path(self) -> Path:
        return FOLDER / f"{self.name}.py"

    def arguments(self, tmp: str | Path) -> list[str]:
        """``argv`` with :data:`TMP` replaced by ``tmp``."""
        return [str(tmp) if arg == TMP else arg for arg in self.argv]


# Small runs on MNIST-shaped data: 300 examples per split make one epoch of
# batch 100 three steps, so the 15 epochs of the labs are 45 steps; the CNNs
# take 200 (30 steps), the ensemble 100 (15 mini-batches, each model a step on each).
# The runs leave max_steps unset: the programs' own loops end, and their closing
# lines (accuracy, predictions) run.
_MNIST = dict(dataset="synthetic", max_examples=300)
_MNIST_SMALL = dict(dataset="synthetic", max_examples=200)
_EPOCH_LINES = (r"^Epoch: 0001 cost = \d+\.\d{9}$", r"^Epoch: 0015 cost = ",
                r"^Learning Finished!$")

_PROGRAMS = (
    PortProgram(
        "linear_regression_lists", steps=2001,
        exercises="x_train * W + b on Python lists (no placeholder), W and b of shape [1], MSE, "
                  "GradientDescentOptimizer(0.01), sess.run(train) alone",
        output=(r"^2000 [0-9.e-]+ \[",),
    ),
    PortProgram(
        "linear_regression_placeholders", steps=2001,
        exercises="placeholders of shape [None], fetching [cost, W, b, train] with literal list "
                  "feeds, predictions for new X values",
        output=(r"^2000 [0-9.e-]+ \[", r"^\[6\.\d+\]$", r"^\[3\.\d+\]$", r"^\[2\.\d+ +4\.\d+\]$"),
    ),
    PortProgram(
        "multi_variable_matmul", steps=2001,
        exercises="5x3 data in lists, X [None, 3], tf.matmul(X, W) + b, GradientDescent 1e-5",
        output=(r"^2000 Cost: ",),
    ),
    PortProgram(
        "linear_regression_csv", steps=2001, data_files=("data-01-test-score.csv",),
        exercises="np.loadtxt of a CSV, xy[:, 0:-1] / xy[:, [-1]], matmul regression, "
                  "predictions for new rows",
        output=(r"^\(25, 3\) ", r"^Your score will be  \[\[", r"^Other scores will be  \[\["),
    ),
    PortProgram(
        "logistic_regression_csv", steps=10001, data_files=("data-03-diabetes.csv",),
        exercises="sigmoid hypothesis, hand-written -mean(Y log h + (1 - Y) log(1 - h)), "
                  "cast(h > 0.5) predictions and accuracy, tf.Session as a context manager",
        output=(r"^\(60, 8\) \(60, 1\)$", r"^Hypothesis:  \[\[", r"^Correct \(Y\):  \[\["),
        accuracy=(ACCURACY, 0.85),
    ),
    PortProgram(
        "softmax_one_hot", steps=2001,
        exercises="one-hot Y [None, 3] in lists, tf.nn.softmax(matmul + b), hand-written "
                  "-reduce_sum(Y * log(h), axis=1), argmax of predictions for new points "
                  "(ops made after training)",
        output=(r"^Predicted classes: \[0 1 2\]$",),
    ),
    PortProgram(
        "softmax_tf_one_hot", steps=2000, data_files=("data-04-zoo.csv",),
        exercises="int32 class ids, tf.one_hot then tf.reshape(-1, nb_classes), "
                  "softmax_cross_entropy_with_logits, argmax accuracy",
        output=(r"^one_hot Tensor\(.*shape=\(None, 1, 7\)", r"^reshape Tensor\(.*shape=\(None, 7\)",
                r"^step 1900 loss "),
        accuracy=(r"^Final accuracy: ([0-9.]+)$", 0.95),
    ),
    PortProgram(
        "softmax_tf_one_hot_v2", steps=2000, data_files=("data-04-zoo.csv",),
        exercises="softmax_tf_one_hot with softmax_cross_entropy_with_logits_v2 and "
                  "tf.stop_gradient on the labels",
        output=(r"^one_hot Tensor\(.*shape=\(None, 1, 7\)", r"^step 1900 loss "),
        accuracy=(r"^Final accuracy: ([0-9.]+)$", 0.95),
    ),
    PortProgram(
        "xor_wide", steps=10001,
        exercises="XOR, 2-10-1 sigmoid network, hand-written log loss, GradientDescent 0.1",
        output=(r"^10000 [0-9.e-]+ \[array",),
        accuracy=(ACCURACY, 1.0),
    ),
    PortProgram(
        "xor_deep", steps=10001,
        exercises="XOR, 2-10-10-10-1 sigmoid network, hand-written log loss, GradientDescent 0.1",
        output=(r"^10000 [0-9.e-]+$",),
        accuracy=(ACCURACY, 1.0),
    ),
    PortProgram(
        "mnist_softmax", steps=45, **_MNIST,
        exercises="input_data, one 784x10 layer (random normal), "
                  "softmax_cross_entropy_with_logits, Adam, the epoch / total_batch / "
                  "next_batch loop with avg_cost",
        output=_EPOCH_LINES + (ACCURACY,),
    ),
    PortProgram(
        "mnist_mlp", steps=45, **_MNIST,
        exercises="784-256-256-10 ReLU, tf.random_normal weights and biases, Adam",
        output=_EPOCH_LINES,
        accuracy=(ACCURACY, 0.4),
    ),
    PortProgram(
        "mnist_xavier", steps=45, dataset="fashion_mnist", max_examples=300,
        exercises="784-256-256-10 ReLU, tf.get_variable with "
                  "tf.contrib.layers.xavier_initializer, Adam",
        output=_EPOCH_LINES,
        accuracy=(ACCURACY, 0.5),
    ),
    PortProgram(
        "mnist_deep", steps=45, **_MNIST,
        exercises="784-512-512-512-512-10 ReLU, Xavier, Adam",
        output=_EPOCH_LINES,
        accuracy=(ACCURACY, 0.9),
    ),
    PortProgram(
        "mnist_dropout", steps=45, stochastic=True, **_MNIST,
        exercises="the deep network with tf.nn.dropout(keep_prob=keep_prob), keep_prob a "
                  "placeholder fed 0.7 to train and 1 to test",
        output=_EPOCH_LINES,
        accuracy=(ACCURACY, 0.9),
    ),
    PortProgram(
        "mnist_layers_batch_norm", steps=45, **_MNIST,
        exercises="tf.layers.dense + tf.layers.batch_normalization(training=is_training) + "
                  "tf.nn.relu, minimize inside tf.control_dependencies(UPDATE_OPS)",
        output=_EPOCH_LINES,
        accuracy=(ACCURACY, 0.9),
    ),
    PortProgram(
        "mnist_contrib_batch_norm", steps=45, **_MNIST,
        exercises="tf.contrib.layers.fully_connected with "
                  "normalizer_fn=tf.contrib.layers.batch_norm, "
                  "normalizer_params={'is_training': is_training, 'decay': 0.9}, UPDATE_OPS",
        output=_EPOCH_LINES,
        accuracy=(ACCURACY, 0.9),
    ),
    PortProgram(
        "mnist_cnn_nn", steps=30, **_MNIST_SMALL,
        exercises="tf.nn.conv2d (3x3, 32 and 64 filters, SAME) + tf.nn.relu + tf.nn.max_pool "
                  "(2x2, stride 2), tf.reshape, a dense layer, Adam",
        output=_EPOCH_LINES + (ACCURACY,),
    ),
    PortProgram(
        "mnist_cnn_layers", steps=30, stochastic=True, dataset="fashion_mnist", max_examples=200,
        exercises="tf.layers.conv2d / max_pooling2d / dropout(training=training) / dense",
        output=_EPOCH_LINES,
        accuracy=(ACCURACY, 0.5),
    ),
    PortProgram(
        "mnist_class_model", steps=30, stochastic=True, **_MNIST_SMALL,
        exercises="a Model class holding sess and name, _build_net under "
                  "tf.variable_scope(name), predict / get_accuracy / train calling self.sess.run; "
                  "tf.nn CNN with keep_prob dropout",
        output=_EPOCH_LINES + (ACCURACY,),
    ),
    PortProgram(
        "mnist_ensemble", steps=30, stochastic=True, dataset="synthetic", max_examples=100,
        exercises="two Model instances (tf.layers CNNs, scopes model0 and model1) trained in "
                  "turn on each mini-batch, their test logits summed for the ensemble accuracy",
        output=(r"^Epoch: 0001 cost = \[", r"^0 Accuracy: ", r"^1 Accuracy: ",
                r"^Ensemble accuracy: [0-9.]+$"),
    ),
    PortProgram(
        "exponential_decay", steps=1001,
        exercises="global_step = tf.Variable(0, trainable=False), tf.train.exponential_decay("
                  "0.1, global_step, 100, 0.96, staircase=True), minimize(cost, "
                  "global_step=global_step), a 3-8-3 ReLU net on lists",
        output=(r"^Prediction: \[", r"^Final learning rate: [0-9.]+$"),
    ),
    PortProgram(
        "summaries", steps=1001, argv=(TMP,),
        exercises="tf.name_scope, tf.summary.histogram / scalar, tf.summary.merge_all, "
                  "tf.summary.FileWriter(logdir, sess.graph), add_summary every step",
        output=(r"^Summaries written to ",),
        accuracy=(ACCURACY, 1.0),
    ),
    PortProgram(
        "saver", steps=2001, argv=(TMP,),
        exercises="tf.train.Saver().save(sess, path), restore into a new tf.Session, the same "
                  "prediction before and after",
        output=(r"^Model saved in file: .*model\.ckpt$", r"^Prediction before saving: \[",
                r"^Prediction after restoring: \["),
    ),
)

PROGRAMS: dict[str, PortProgram] = {program.name: program for program in _PROGRAMS}
"""Every program of this folder by name, in the order of the README."""

DATA_FILES = ("data-01-test-score.csv", "data-03-diabetes.csv", "data-04-zoo.csv")
