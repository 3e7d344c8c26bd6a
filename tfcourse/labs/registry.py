"""The course's MNIST labs: what each program trains, and what the course reports.

Seed 001 ("ch.10 Lab", the results table of lecture 10) and seed 004 (the
MNIST program, its optimizer slide and its homework) define the series. Each
:class:`Lab` pairs a program of ``legacy_tf1/`` with its spec in plain Python
values: the network (a :class:`tfcourse.models.MLPSpec`), the initialization,
the optimizer and its TF1 hyperparameters, epochs and batch size, and the
result the course reports on MNIST (seed 001: softmax 90%, NN 94.5%,
Xavier 97.8%, deep NN with dropout 98%).

The specs are written from the programs' text, line by line (a test checks
them against the programs' variables and optimizer calls).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Mapping

from tfcourse._validation import check_choice

__all__ = ["LABS", "Lab", "get", "names"]

TIERS = ("legacy", "port", "keras")
"""How a lab runs: its TF1 program through tfcourse.compat, the TF2 port, the Keras version."""


@dataclasses.dataclass(frozen=True)
class Lab:
    """One course lab: a TF1 program of ``legacy_tf1/`` and how it trains.

    Attributes:
        name: the lab's name, the program's file name (``mnist_nn_xavier``).
        title: one line for listings.
        hidden_sizes: units of the hidden layers, ``()`` for softmax regression.
        kernel_initializer: how the program draws weights, as a
            :func:`tfcourse.initializers.get` name (``"random_normal"`` is
            ``tf.random_normal``'s N(0, 1); ``"xavier_tf1"`` is
            ``tf.contrib.layers.xavier_initializer()``).
        bias_initializer: the same for biases.
        optimizer: a :data:`tfcourse.optimizers.ALL` name.
        optimizer_config: the program's optimizer arguments, spelled as the
            tfcourse optimizer takes them (TF1's ``decay`` is ``rho``).
        epochs: ``training_epochs`` of the program.
        batch_size: ``batch_size`` of the program.
        keep_prob: the dropout keep probability fed while training, or None.
        batch_norm: hidden layers are ``x W`` (no bias), batch-normalized
            (tf.nn.moments, gamma/beta, population averages with ``decay``), then ReLU.
        batch_norm_decay, batch_norm_epsilon: the program's BN settings.
        early_stopping: the program keeps the epoch of best test accuracy.
        graph_seed: the program's ``tf.set_random_seed`` value, or None.
        course_result: what the course reports, as text.
        course_accuracy: the course's MNIST test accuracy (a fraction), or None.
        seed_file: the seed file (and slide) the program comes from.
    """

    name: str
    title: str
    hidden_sizes: tuple
    kernel_initializer: str
    bias_initializer: str
    optimizer: str
    optimizer_config: Mapping[str, Any]
    epochs: int = 15
    batch_size: int = 100
    keep_prob: float | None = None
    batch_norm: bool = False
    batch_norm_decay: float = 0.99
    batch_norm_epsilon: float = 1e-3
    early_stopping: bool = False
    graph_seed: int | None = None
    checked_steps: int | None = None
    course_result: str = "none reported"
    course_accuracy: float | None = None
    seed_file: str = ""

    @property
    def program(self) -> Path:
        """The TF1 program in ``legacy_tf1/``."""
        from tfcourse.compat.programs import LEGACY_DIR  # noqa: PLC0415

        return LEGACY_DIR / f"{self.name}.py"

    @property
    def has_dropout(self) -> bool:
        return self.keep_prob is not None and self.keep_prob < 1.0

    @property
    def step_checks(self) -> int:
        """Steps the step-by-step loss bound covers: ``CHECK_STEPS``, or fewer (``checked_steps``).

        A lab whose TF1 program is itself carried past the bound by one ulp
        (every starting weight moved to the next float32) within
        ``CHECK_STEPS`` steps sets ``checked_steps`` below that step: no
        bound tighter than the program's own sensitivity to rounding can hold
        after it, and its final accuracy is checked as every lab's is.
        """
        from tfcourse.labs.comparison import CHECK_STEPS  # noqa: PLC0415

        return min(CHECK_STEPS, self.checked_steps or CHECK_STEPS)

    @property
    def deterministic(self) -> bool:
        """Training has no randomness beyond the initial weights and the batch order."""
        return not self.has_dropout

    @property
    def architecture(self) -> str:
        """``784-256-256-10`` (with ``+BN`` / ``+dropout`` marks)."""
        text = "-".join(str(n) for n in (784, *self.hidden_sizes, 10))
        if self.batch_norm:
            text += " +BN"
        if self.has_dropout:
            text += f" +dropout(keep_prob={self.keep_prob})"
        return text

    def spec(self):
        """The network as a :class:`tfcourse.models.MLPSpec` (Keras tier)."""
        from tfcourse.models import MLPSpec  # noqa: PLC0415

        return MLPSpec(
            hidden_sizes=self.hidden_sizes, activation="relu",
            kernel_initializer=self.kernel_initializer, bias_initializer=self.bias_initializer,
            batch_norm=self.batch_norm, batch_norm_momentum=self.batch_norm_decay,
            batch_norm_epsilon=self.batch_norm_epsilon, keep_prob=self.keep_prob,
            name=self.name,
        )

    def make_optimizer(self, convention: str = "tf1"):
        """The lab's optimizer as a tfcourse optimizer (TF1's rule by default)."""
        from tfcourse import optimizers  # noqa: PLC0415

        return optimizers.get(self.optimizer, convention=convention, **self.optimizer_config)

    def describe(self) -> dict[str, Any]:
        """The lab as plain values (``tfcourse labs --format json``)."""
        return {
            "name": self.name,
            "title": self.title,
            "program": f"legacy_tf1/{self.name}.py",
            "architecture": self.architecture,
            "kernel_initializer": self.kernel_initializer,
            "bias_initializer": self.bias_initializer,
            "optimizer": self.optimizer,
            "optimizer_config": dict(self.optimizer_config),
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "keep_prob": self.keep_prob,
            "batch_norm": self.batch_norm,
            "early_stopping": self.early_stopping,
            "graph_seed": self.graph_seed,
            "deterministic": self.deterministic,
            "course_result": self.course_result,
            "course_accuracy": self.course_accuracy,
            "seed_file": self.seed_file,
        }


_ADAM = {"learning_rate": 0.001}
_MLP = (256, 256)
_DEEP = (512, 512, 512, 512)
_SEED_001 = "001_8ab6e49f5ecc8486.txt, ch.10 Lab results table"
_SEED_004 = "004_bed41145f0b74057.txt"


def _normal_mlp(name, title, optimizer, config, **extra):
    """Seed 004's 784-256-256-10 ReLU net with tf.random_normal weights and biases."""
    return Lab(name, title, _MLP, "random_normal", "random_normal", optimizer, config,
               seed_file=extra.pop("seed_file", f"{_SEED_004}, slide \"AdaGrad, RMSProp, "
                                                f"Momentum, Adam\""), **extra)


_ALL = (
    Lab("mnist_softmax", "Softmax regression 784-10, random normal init, Adam",
        (), "random_normal", "random_normal", "adam", _ADAM, graph_seed=777,
        course_result="Softmax 90% (seed 001)", course_accuracy=0.90, seed_file=_SEED_001),
    _normal_mlp("mnist_nn_gd", "NN 784-256-256-10, random normal init, gradient descent",
                "gradient_descent", {"learning_rate": 0.001},
                seed_file=f"{_SEED_004}, slide \"Gradient descent\""),
    _normal_mlp("mnist_nn_adagrad", "NN 784-256-256-10, random normal init, AdaGrad",
                "adagrad", {"learning_rate": 0.001}),
    _normal_mlp("mnist_nn_rmsprop", "NN 784-256-256-10, random normal init, RMSProp momentum 0.9",
                "rmsprop", {"learning_rate": 0.001, "momentum": 0.9}),
    _normal_mlp("mnist_nn_momentum", "NN 784-256-256-10, random normal init, Momentum 0.9",
                "momentum", {"learning_rate": 0.001, "momentum": 0.9}),
    _normal_mlp("mnist_nn_adam", "NN 784-256-256-10, random normal init, Adam",
                "adam", _ADAM, course_result="NN 94.5% (seed 001)", course_accuracy=0.945),
    Lab("mnist_nn_xavier", "NN 784-256-256-10, Xavier init, Adam",
        _MLP, "xavier_tf1", "random_normal", "adam", _ADAM, graph_seed=777,
        course_result="Xavier initialization 97.8% (seed 001)", course_accuracy=0.978,
        seed_file=_SEED_001),
    Lab("mnist_nn_deep", "Deep NN 784-512x4-10, Xavier init, Adam",
        _DEEP, "xavier_tf1", "random_normal", "adam", _ADAM, graph_seed=777,
        course_result="none reported separately (98% only with dropout)", seed_file=_SEED_001),
    Lab("mnist_nn_dropout", "Deep NN 784-512x4-10, Xavier init, dropout keep_prob 0.7, Adam",
        _DEEP, "xavier_tf1", "random_normal", "adam", _ADAM, keep_prob=0.7, graph_seed=777,
        course_result="Deep NN with dropout 98% (seed 001)", course_accuracy=0.98,
        seed_file=_SEED_001),
    Lab("mnist_nn_batch_norm", "NN 784-256-256-10, Xavier init, batch normalization, Adam",
        _MLP, "xavier_tf1", "random_normal", "adam", _ADAM, batch_norm=True, graph_seed=777,
        # The TF1 program against itself from weights one ulp away (up or down) passes the
        # loss bound at step 13 or 15 (Fashion-MNIST, 2000 examples, batch 100); the two
        # versions first differ by a few ulps at step 6 (a gradient summed in another order).
        checked_steps=10,
        seed_file="000_cc40c8819abf25a2.txt, Unit 04 Batch Normalization (Algorithm 1)"),
    _normal_mlp("mnist_nn_early_stopping",
                "NN 784-256-256-10, gradient descent, best test accuracy per epoch (early stopping)",
                "gradient_descent", {"learning_rate": 0.001}, early_stopping=True,
                seed_file=f"{_SEED_004}, slide \"Early Stopping\""),
    Lab("mnist_nn_homework", "Homework: bigger NN 784-512-512-10, random normal init, gradient descent",
        (512, 512), "random_normal", "random_normal", "gradient_descent", {"learning_rate": 0.001},
        seed_file=f"{_SEED_004}, homework slide (bigger and deeper MLP)"),
)

LABS: dict[str, Lab] = {lab.name: lab for lab in _ALL}
"""Every lab by name, in the course's order."""

ALIASES = {
    "softmax": "mnist_softmax",
    "mnist_nn": "mnist_nn_adam",
    "nn": "mnist_nn_adam",
    "xavier": "mnist_nn_xavier",
    "deep": "mnist_nn_deep",
    "dropout": "mnist_nn_dropout",
    "batch_norm": "mnist_nn_batch_norm",
    "early_stopping": "mnist_nn_early_stopping",
    "homework": "mnist_nn_homework",
}
"""Short names: ``mnist_nn`` is the course's "NN 94.5%" lab (Adam, seed 001)."""


def names() -> list[str]:
    return list(LABS)


def get(name: str | Lab) -> Lab:
    """The lab called ``name`` (a key of :data:`LABS` or of :data:`ALIASES`)."""
    if isinstance(name, Lab):
        return name
    check_choice("lab", name, [*LABS, *ALIASES], suggest=True)
    return LABS[ALIASES.get(name, name)]
