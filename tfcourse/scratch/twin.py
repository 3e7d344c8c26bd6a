"""The NumPy net next to its Keras twin: the same gradients, the same training, step by step.

Three checks that backpropagation by hand is right:

1. :func:`gradient_checks`: on one batch, the gradients of
   :meth:`TwoLayerNet.gradient` (backprop), :meth:`TwoLayerNet.numerical_gradient`
   (central differences) and ``tf.GradientTape`` on the Keras twin;
2. :func:`train_twins`: the NumPy net and its Keras twin (``Dense`` ->
   activation -> ``Dense``, ``CategoricalCrossentropy(from_logits=True)``,
   ``SGD``, ``train_on_batch``) from the same initial weights on the same
   mini-batches, their per-step losses compared.

Both sides compute in float64 (Keras' floatx is float64 while the twin is
built and trained, so its learning rate is the same float64 number too), so
they differ only by the order of floating-point sums inside matmuls and
reductions. The bounds and why they hold:

* backprop vs ``GradientTape``: ``|g_np - g_tape| <= 1e-12 * max(1, max|g|)``:
  both are the exact derivative; float64 rounding (~1e-16 relative per
  operation, a few hundred terms per sum) stays near 1e-16 (measured: at most
  1.1e-16 on Fashion-MNIST);
* backprop vs central differences (h = 1e-5): ``<= 1e-8``: the O(h^2)
  truncation of the loss' third derivative (~1e-10) plus rounding
  eps * L / h (~1e-11), with room (measured: at most 6e-11);
* per-step losses: ``|L_np - L_keras| <= 1e-12 * max(1, |L_np|)`` for every
  step: rounding differences of ~1e-16 per step that gradient descent
  carries forward without amplifying them much over a few hundred steps
  (measured: at most 8.9e-16 over 300 steps on Fashion-MNIST, ``tfcourse
  backprop --steps 300 --learning-rate 0.1``).

The loss node computes log y from the logits (log-softmax), so its exact
derivative is the (y - t) / N that backward returns; the seed's
``log(y + 1e-7)`` would shift it by ~1e-7 and hide real bugs below that.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tfcourse._precision import float64_keras
from tfcourse._validation import check_int, check_positive
from tfcourse.scratch.network import PARAMETERS, TwoLayerNet

__all__ = [
    "GRADIENT_TOLERANCE",
    "LOSS_TOLERANCE",
    "NUMERICAL_TOLERANCE",
    "GradientCheck",
    "TwinRun",
    "batch_indices",
    "gradient_checks",
    "keras_twin",
    "tape_gradients",
    "train_twins",
]

GRADIENT_TOLERANCE = 1e-12
NUMERICAL_TOLERANCE = 1e-8
LOSS_TOLERANCE = 1e-12


def keras_twin(net: TwoLayerNet, learning_rate: float = 0.1):
    """A compiled float64 Keras model with ``net``'s current weights and architecture.

    ``Dense(hidden, name="affine_1")`` -> ``Activation`` -> ``Dense(out,
    name="affine_2")``, loss ``CategoricalCrossentropy(from_logits=True)``
    (softmax-with-loss), optimizer ``SGD(learning_rate)``: w <- w - lr g.
    Build and use it inside :func:`float64_keras`.
    """
    import keras

    input_size, hidden_size = net.params["W1"].shape
    output_size = net.params["W2"].shape[1]
    model = keras.Sequential([
        keras.Input((input_size,), dtype="float64"),
        keras.layers.Dense(hidden_size, name="affine_1", dtype="float64"),
        keras.layers.Activation(net.activation, name=net.activation, dtype="float64"),
        keras.layers.Dense(output_size, name="affine_2", dtype="float64"),
    ], name="two_layer_net")
    model.get_layer("affine_1").set_weights([net.params["W1"], net.params["b1"]])
    model.get_layer("affine_2").set_weights([net.params["W2"], net.params["b2"]])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    return model


def tape_gradients(model, x, t) -> dict[str, np.ndarray]:
    """dL/d(W1, b1, W2, b2) of the Keras twin from ``tf.GradientTape``."""
    import tensorflow as tf

    variables = [*model.get_layer("affine_1").trainable_variables,
                 *model.get_layer("affine_2").trainable_variables]
    x = tf.constant(np.asarray(x, np.float64))
    with tf.GradientTape() as tape:
        loss = model.loss(tf.constant(np.asarray(t, np.float64)), model(x))
    grads = tape.gradient(loss, variables)
    return {name: np.asarray(g, np.float64) for name, g in zip(PARAMETERS, grads)}


@dataclasses.dataclass
class GradientCheck:
    """One parameter's gradient three ways: the largest differences and the bounds."""

    parameter: str
    shape: tuple
    backprop_vs_numerical: float
    backprop_vs_tape: float
    numerical_bound: float
    tape_bound: float

    @property
    def passed(self) -> bool:
        return (self.backprop_vs_numerical <= self.numerical_bound
                and self.backprop_vs_tape <= self.tape_bound)


def gradient_checks(net: TwoLayerNet, x, t, h: float = 1e-5) -> list[GradientCheck]:
    """Backprop against central differences and against ``tf.GradientTape``, per parameter."""
    backprop = net.gradient(x, t)
    backprop = {name: g.copy() for name, g in backprop.items()}
    numerical = net.numerical_gradient(x, t, h)
    with float64_keras():
        tape = tape_gradients(keras_twin(net), x, t)
    checks = []
    for name in PARAMETERS:
        scale = max(1.0, float(np.max(np.abs(backprop[name]))))
        checks.append(GradientCheck(
            name, backprop[name].shape,
            float(np.max(np.abs(backprop[name] - numerical[name]))),
            float(np.max(np.abs(backprop[name] - tape[name]))),
            NUMERICAL_TOLERANCE, GRADIENT_TOLERANCE * scale))
    return checks


def batch_indices(num_examples: int, batch_size: int, steps: int, seed: int = 0) -> list:
    """``steps`` mini-batches of indices: a fresh permutation each epoch, cut in order."""
    num_examples = check_int("num_examples", num_examples, low=1)
    batch_size = check_int("batch_size", batch_size, low=1, high=num_examples)
    steps = check_int("steps", steps, low=1)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    batches = []
    while len(batches) < steps:
        order = rng.permutation(num_examples)
        for start in range(0, num_examples - batch_size + 1, batch_size):
            batches.append(order[start:start + batch_size])
            if len(batches) == steps:
                break
    return batches


@dataclasses.dataclass
class TwinRun:
    """The NumPy net and its Keras twin trained side by side.

    Attributes:
        numpy_losses, keras_losses: the loss of every step, before its update.
        differences: ``|numpy - keras|`` per step.
        bounds: ``LOSS_TOLERANCE * max(1, |numpy loss|)`` per step.
        numpy_accuracy, keras_accuracy: test accuracy after training.
        gradient_checks: :func:`gradient_checks` on the first mini-batch,
            before training.
        settings: what was trained (sizes, activation, learning rate, batch
            size, steps, seed).
    """

    numpy_losses: np.ndarray
    keras_losses: np.ndarray
    differences: np.ndarray
    bounds: np.ndarray
    numpy_accuracy: float
    keras_accuracy: float
    gradient_checks: list
    settings: dict

    @property
    def passed(self) -> bool:
        return bool(np.all(self.differences <= self.bounds)) and all(
            check.passed for check in self.gradient_checks)

    @property
    def worst_step(self) -> int:
        """The step (from 1) where ``differences / bounds`` is largest."""
        return int(np.argmax(self.differences / self.bounds)) + 1

    def report(self) -> list[str]:
        """A short table: gradient checks, then the training comparison."""
        lines = ["parameter  shape        backprop-numerical  backprop-GradientTape  ok"]
        for check in self.gradient_checks:
            lines.append(f"{check.parameter:<10} {str(check.shape):<12} "
                         f"{check.backprop_vs_numerical:>18.2e}  "
                         f"{check.backprop_vs_tape:>21.2e}  {'yes' if check.passed else 'NO'}")
        lines.append(f"(bounds: {NUMERICAL_TOLERANCE:g} against central differences, "
                     f"{GRADIENT_TOLERANCE:g} x max(1, |g|) against GradientTape)")
        steps = len(self.numpy_losses)
        held = int(np.sum(self.differences <= self.bounds))
        lines += [
            "",
            "training     first loss   last loss    test accuracy",
            f"numpy        {self.numpy_losses[0]:<12.6f} {self.numpy_losses[-1]:<12.6f} "
            f"{self.numpy_accuracy:.4f}",
            f"keras        {self.keras_losses[0]:<12.6f} {self.keras_losses[-1]:<12.6f} "
            f"{self.keras_accuracy:.4f}",
            f"per-step |numpy - keras|: max {float(np.max(self.differences)):.2e} "
            f"(step {self.worst_step}); bound {LOSS_TOLERANCE:g} x max(1, |loss|) held at "
            f"{held}/{steps} steps",
        ]
        return lines


def train_twins(x_train, t_train, x_test=None, t_test=None, *, hidden_size: int = 50,
                activation: str = "sigmoid", learning_rate: float = 0.1, batch_size: int = 100,
                steps: int = 200, weight_init_std: float = 0.01, seed: int = 0,
                check_gradients: bool = True) -> TwinRun:
    """Train :class:`TwoLayerNet` and its Keras twin side by side; compare every step.

    Args:
        x_train, t_train: float inputs (N, D) and one-hot targets (N, K).
        x_test, t_test: for the final accuracies. Default: the training data.
        hidden_size, activation, weight_init_std: the net (:class:`TwoLayerNet`).
        learning_rate: plain gradient descent's rate, > 0. Defaults to 0.1.
        batch_size: examples per step, in [1, N]. Defaults to 100.
        steps: updates, >= 1. Defaults to 200.
        seed: the weights' and the mini-batches' seed.
        check_gradients: run :func:`gradient_checks` on the first batch
            (central differences cost 2 forward passes per weight).

    Returns:
        A :class:`TwinRun`.
    """
    x_train = np.asarray(x_train, np.float64)
    t_train = np.asarray(t_train, np.float64)
    x_test = x_train if x_test is None else np.asarray(x_test, np.float64)
    t_test = t_train if t_test is None else np.asarray(t_test, np.float64)
    learning_rate = check_positive("learning_rate", learning_rate)
    net = TwoLayerNet(x_train.shape[1], hidden_size, t_train.shape[1], activation=activation,
                      weight_init_std=weight_init_std, seed=seed)
    batches = batch_indices(len(x_train), batch_size, steps, seed)
    checks = []
    if check_gradients:
        first = batches[0][:3]  # a few examples keep the numerical gradient cheap
        checks = gradient_checks(net, x_train[first], t_train[first])
    with float64_keras():
        model = keras_twin(net, learning_rate)
        numpy_losses, keras_losses = [], []
        for idx in batches:
            numpy_losses.append(net.step(x_train[idx], t_train[idx], learning_rate))
            keras_losses.append(float(model.train_on_batch(x_train[idx], t_train[idx])))
        logits = np.asarray(model.predict(x_test, verbose=0, batch_size=1000), np.float64)
    keras_accuracy = float(np.mean(np.argmax(logits, 1) == np.argmax(t_test, 1)))
    numpy_losses = np.asarray(numpy_losses)
    keras_losses = np.asarray(keras_losses)
    return TwinRun(
        numpy_losses, keras_losses, np.abs(numpy_losses - keras_losses),
        LOSS_TOLERANCE * np.maximum(1.0, np.abs(numpy_losses)),
        net.accuracy(x_test, t_test), keras_accuracy, checks,
        {"input_size": x_train.shape[1], "hidden_size": hidden_size,
         "output_size": t_train.shape[1], "activation": activation,
         "learning_rate": learning_rate, "batch_size": batch_size, "steps": steps,
         "weight_init_std": weight_init_std, "seed": seed},
    )
