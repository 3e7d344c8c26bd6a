"""Refuse bad training data before training, stop on NaN/Inf with a diagnosis.

:func:`check_training_data` runs before the first step and refuses, with a
message naming the problem: an empty dataset, a single example, NaN or Inf in
the inputs or targets, examples whose shape is not the model's input shape,
class labels outside [0, classes), a single class, and a model whose
parameters, gradients and optimizer slots would not fit in memory
(:func:`training_memory_bytes`).

:class:`NonFiniteGuard` watches the loss and the weights during training.
Keras' ``TerminateOnNaN`` only says "Batch k: Invalid loss"; the guard says
at which optimizer step it happened and which layer's gradients were
non-finite first, by replaying the steps since its last copy of the training
state and recomputing each mini-batch's gradients (the model is left with the
finite weights before the step), and raises :class:`NonFiniteError`. Epoch-end checkpoints
(:class:`tfcourse.checkpointing.EpochCheckpoint`) are never written after a
non-finite step, so the last finite one is kept.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import keras
import numpy as np

from tfcourse._validation import TfcourseError, data_problem, non_finite_problem

__all__ = ["NonFiniteError", "NonFiniteGuard", "available_memory_bytes", "check_training_data",
           "training_memory_bytes"]


class NonFiniteError(TfcourseError, FloatingPointError):
    """Training produced a NaN or Inf loss or weight."""


def _arrays(data, name: str) -> list[tuple[str, np.ndarray]]:
    if isinstance(data, dict):
        return [(f"{name}[{k!r}]", np.asarray(v)) for k, v in data.items()]
    if isinstance(data, (list, tuple)):
        return [(f"{name}[{i}]", np.asarray(v)) for i, v in enumerate(data)]
    return [(name, np.asarray(data))]


def _check_finite(name: str, array: np.ndarray) -> None:
    if not np.issubdtype(array.dtype, np.floating):
        return
    bad = ~np.isfinite(array)
    if bad.any():
        first = int(np.argwhere(bad)[0][0])
        raise ValueError(data_problem(
            name, f"holds {int(bad.sum())} NaN or Inf values (the first in example {first})",
            "Clean or impute them before training: one NaN input makes every weight NaN"))


def _class_labels(y: np.ndarray, num_classes: int, name: str) -> np.ndarray | None:
    """Integer labels of ``y`` (sparse or one-hot), or None when ``y`` is not class labels."""
    if y.ndim == 2 and y.shape[1] == num_classes and num_classes > 1:
        if np.any((y < 0) | (y > 1)):
            row = int(np.argwhere((y < 0) | (y > 1))[0][0])
            raise ValueError(data_problem(
                name, f"must hold one-hot rows with values in [0, 1]. Received: row {row} = "
                      f"{y[row].tolist()!r}"))
        return np.argmax(y, axis=1)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        return None
    if np.issubdtype(y.dtype, np.floating) and not np.all(np.mod(y, 1) == 0):
        return None
    labels = y.astype(np.int64)
    outside = (labels < 0) | (labels >= num_classes)
    if outside.any():
        first = int(np.argmax(outside))
        raise ValueError(data_problem(
            name, f"must hold class labels in [0, {num_classes}) for a model with "
                  f"{num_classes} outputs. Received: {int(labels[first])} at example {first} "
                  f"({int(outside.sum())} labels outside)",
            "Labels start at 0; 1-based labels need y - 1"))
    return labels


def training_memory_bytes(num_parameters: int, *, bytes_per_value: int = 4,
                          optimizer_slots: int = 2) -> int:
    """Bytes of the weights, their gradients and ``optimizer_slots`` moment copies.

    ``(2 + optimizer_slots) * num_parameters * bytes_per_value``: Adam keeps 2
    slots (m, v), momentum 1, gradient descent 0. Activations are not counted.
    """
    return int((2 + optimizer_slots) * num_parameters * bytes_per_value)


def available_memory_bytes() -> int | None:
    """MemAvailable of /proc/meminfo (Linux), else physical memory, else None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(num_parameters: int, *, bytes_per_value: int = 4, optimizer_slots: int = 2,
                 available: int | None = None) -> int:
    """Raise ``MemoryError`` if the parameters would not fit; return the estimate in bytes."""
    needed = training_memory_bytes(num_parameters, bytes_per_value=bytes_per_value,
                                   optimizer_slots=optimizer_slots)
    available = available_memory_bytes() if available is None else available
    if available is not None and needed > available:
        raise MemoryError(data_problem(
            "model", f"needs about {needed / 2**30:.2f} GiB for {num_parameters} parameters"
                     + (f", their gradients and {optimizer_slots} optimizer slots"
                        if optimizer_slots else " and their gradients")
                     + f", and {available / 2**30:.2f} GiB are available",
            "Use fewer or smaller layers"))
    return needed


def check_training_data(x: Any, y: Any, *, model: keras.Model | None = None,
                        num_classes: int | None = None) -> int:
    """Refuse data training cannot use (see the module docstring); return the example count.

    Args:
        x, y: inputs and targets, examples along axis 0 (arrays, or dicts /
            lists of arrays).
        model: the model to train; gives the expected input shape, the number
            of classes (its last output width, when > 1) and the parameter count.
        num_classes: the number of classes, overriding the model's.
    """
    inputs, targets = _arrays(x, "x"), _arrays(y, "y")
    counts = {name: (array.shape[0] if array.ndim else 0) for name, array in inputs + targets}
    num_examples = counts[inputs[0][0]]
    for name, count in counts.items():
        if count == 0:
            raise ValueError(data_problem(name, "is empty (0 examples)",
                                          "Check the data path and any filtering"))
        if count != num_examples:
            raise ValueError(data_problem(
                name, f"holds {count} examples and {inputs[0][0]} holds {num_examples}",
                "x and y must hold the same number of examples"))
    if num_examples == 1:
        raise ValueError(data_problem(
            inputs[0][0], "holds a single example; training needs at least 2",
            "A gradient step on one example fits it exactly and says nothing about the rest"))
    for name, array in inputs + targets:
        _check_finite(name, array)
    if model is not None and getattr(model, "inputs", None):
        for (name, array), tensor in zip(inputs, model.inputs):
            expected = tuple(tensor.shape[1:])
            got = tuple(array.shape[1:])
            if len(expected) != len(got) or any(e is not None and e != g
                                                for e, g in zip(expected, got)):
                hint = ("Flatten the images (data.load(..., flatten=True) or reshape to "
                        f"(-1, {int(np.prod(got))}))" if int(np.prod(got)) == np.prod(
                            [e or 0 for e in expected]) else None)
                raise ValueError(data_problem(
                    name, f"has examples of shape {got} and the model expects "
                          f"{tuple(expected)}", hint))
    if num_classes is None and model is not None and getattr(model, "outputs", None):
        width = model.outputs[0].shape[-1]
        num_classes = int(width) if width and width > 1 else None
    if num_classes is not None:
        name, array = targets[0]
        labels = _class_labels(array, num_classes, name)
        if labels is not None and len(np.unique(labels)) == 1:
            raise ValueError(data_problem(
                name, f"holds a single class ({int(labels[0])}) in all {num_examples} examples",
                "A classifier needs examples of at least 2 classes; check the labels and any "
                "filtering"))
    if model is not None and model.built:
        optimizer = getattr(model, "optimizer", None)
        slots = 2 if optimizer is None else _slots(optimizer)
        check_memory(model.count_params(), optimizer_slots=slots)
    return num_examples


def _slots(optimizer) -> int:
    name = type(optimizer).__name__.lower()
    if "adam" in name or "adadelta" in name:
        return 2
    if name in ("gradientdescent", "sgd"):
        return 0
    return 1


def _layer_of(model: keras.Model) -> dict:
    owners = {}
    for layer in model.layers:
        for variable in layer.trainable_weights:
            owners.setdefault(id(variable), layer.name)
    return owners


class NonFiniteGuard(keras.callbacks.Callback):
    """Stop at the first step whose loss or weights are NaN/Inf; raise :class:`NonFiniteError`.

    Keras calls batch hooks once per ``steps_per_execution`` steps, and
    copying the weights before every step would cost more than a step of a
    small model at batch 1024. So the guard checks the loss Keras reports
    after each call (a running mean: one non-finite step makes it
    non-finite) and the weights at each epoch end, and keeps a copy of the
    whole training state (model and optimizer variables) at the start of
    each epoch and then every :attr:`SNAPSHOT_EVERY` steps. On a fault it
    restores the last copy and replays the steps since then one by one,
    computing each mini-batch's loss and gradients, until the first step
    whose loss or gradients are non-finite: that step is named, with the
    first layer (in backward-pass order, from the loss) whose gradients are
    non-finite, and the model is left with the finite weights before it.

    Args:
        batch_at: ``batch_at(epoch, index) -> (x, y)``, the mini-batch of a
            step (``MiniBatches.batch``); without it there is no replay and
            the layers whose weights became non-finite are named, with the
            range of steps of the failing call. If the replay does not
            reproduce the fault (dropout draws new masks), the step comes
            from the model's per-step losses when it records them
            (``step_losses``), else the range is named.
        checkpoint: a callable returning the last checkpoint's path (or
            None), quoted in the message.
    """

    SNAPSHOT_EVERY = 100
    """Steps between two copies of the training state (the most a fault replays)."""

    def __init__(self, batch_at: Callable | None = None,
                 checkpoint: Callable[[], Any] | None = None):
        super().__init__()
        self.batch_at = batch_at
        self.checkpoint = checkpoint
        self.epoch = 0
        self._snapshot: tuple[int, int, list] | None = None  # (step, batch index, values)
        self._call_start = 0

    def _state(self) -> list:
        return list(self.model.variables) + list(self.model.optimizer.variables)

    def _iterations(self) -> int:
        return int(self.model.optimizer.iterations.numpy())

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self._snapshot = None

    def on_train_batch_begin(self, batch, logs=None):
        self._call_start = step = self._iterations()
        if self.batch_at is not None and (self._snapshot is None
                                          or step - self._snapshot[0] >= self.SNAPSHOT_EVERY):
            self._snapshot = (step, batch, [v.numpy() for v in self._state()])

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(loss)):
            self._stop(float(loss))

    def on_epoch_end(self, epoch, logs=None):
        # the epoch's last update shows in the weights before any loss sees it
        if self._non_finite_weights():
            self._call_start = self._iterations() - 1
            loss = (logs or {}).get("loss")
            self._stop(None if loss is None else float(loss))

    def _non_finite_weights(self) -> list[str]:
        owners = _layer_of(self.model)
        return _unique([owners.get(id(v), v.path) for v in self.model.trainable_variables
                        if not np.all(np.isfinite(v.numpy()))])

    def _stop(self, loss: float | None) -> None:
        end = self._iterations()
        first_step, step = self._call_start + 1, end
        layers, quantity = self._non_finite_weights(), "weights"
        recorded = self._recorded_step(self._call_start, end)  # before a replay restores them
        found = self._replay(end) if self.batch_at is not None and self._snapshot else None
        if found is not None:
            step, loss, gradient_layers = found
            first_step = step
            if gradient_layers or not layers:
                layers, quantity = gradient_layers, "gradients"
        elif recorded is not None:
            first_step = step = recorded
        path = self.checkpoint() if self.checkpoint else None
        self.model.stop_training = True
        raise NonFiniteError(non_finite_problem(step, self.epoch, loss, layers, path, quantity,
                                                first_step))

    def _replay(self, end: int):
        """Restore the snapshot, replay to the first non-finite step: ``(step, loss, layers)``."""
        start, batch, values = self._snapshot
        state = self._state()
        for variable, value in zip(state, values):
            variable.assign(value)
        variables = self.model.trainable_variables
        for step in range(start, end):
            loss, gradients = self._loss_and_gradients(*self.batch_at(self.epoch,
                                                                     batch + step - start))
            layers = self._non_finite_layers(gradients)
            if layers or not np.isfinite(loss):
                return step + 1, loss, layers
            if step == end - 1:
                before = [v.numpy() for v in variables]
            self.model.optimizer.apply(gradients, variables)
        if self._non_finite_weights():  # the last update overflowed: undo it
            for variable, value in zip(variables, before):
                variable.assign(value)
            return end, loss, []
        return None

    def _loss_and_gradients(self, x, y):
        import tensorflow as tf  # noqa: PLC0415

        with tf.GradientTape() as tape:
            y_pred = self.model(x, training=True)
            loss = self.model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
        return float(loss), tape.gradient(loss, self.model.trainable_variables)

    def _non_finite_layers(self, gradients) -> list[str]:
        owners = _layer_of(self.model)
        order = {layer.name: i for i, layer in enumerate(self.model.layers)}
        bad = [owners.get(id(v), v.path) for v, g in zip(self.model.trainable_variables, gradients)
               if g is not None and not np.all(np.isfinite(g.numpy()))]
        # backward pass order: the layer nearest the loss gets its gradient first
        return sorted(_unique(bad), key=lambda name: -order.get(name, -1))

    def _recorded_step(self, start: int, end: int) -> int | None:
        recorded = getattr(self.model, "step_losses", None)
        if recorded is None:
            return None
        losses = np.asarray(recorded.numpy())[start:end]
        bad = np.flatnonzero(~np.isfinite(losses))
        return start + int(bad[0]) + 1 if bad.size else None


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))
