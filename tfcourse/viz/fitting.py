"""Under- and overfitting, and what dropout, weight decay and early stopping do to the gap (seed 002).

Seed 002 ("Challenge of Learning"): an under-fitted model is too simple to
capture the training data (high bias: training and validation errors both
high); an over-fitted one has many parameters and little data and learns the
training set's accidents (high variance: training error near 0, validation
error far above it). Its remedies for overfitting are dropout, weight decay
W <- W - lr (dL/dW + lambda W) and a validation set (stop when the
validation error stops falling: early stopping, seed 004).

The experiment trains the course's MLPs (``tfcourse.models``) on a small
Fashion-MNIST subset, where a large net overfits within a few dozen epochs:

======================  ==========================================================
run                     model
======================  ==========================================================
too small               784-4-10 (a bottleneck of 4 units: underfits)
too large               784-512-512-10 (overfits 1000 examples)
dropout                 the large net, dropout 0.5 after each hidden layer
weight decay            the large net, MLPSpec.weight_decay = lambda
early stopping          the large net, stopped when validation loss has not
                        improved for ``patience`` epochs, best weights restored
======================  ==========================================================

All use ReLU, He initialization, Adam 1e-3 and the same mini-batches. After
every epoch the training and validation loss and accuracy are measured in
inference mode (dropout off, without the weight-decay penalty), so the gap
compares like with like.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tfcourse._validation import check_int, check_positive

__all__ = ["FITTING_RUNS", "FittingCurves", "fitting_curves"]

FITTING_RUNS = ("too small", "too large", "dropout", "weight decay", "early stopping")


@dataclasses.dataclass
class FittingCurves:
    """Per-epoch curves of one run.

    Attributes:
        name: one of ``FITTING_RUNS``.
        description: the model in words.
        train_loss, validation_loss, train_accuracy, validation_accuracy:
            per epoch (inference mode, data loss only).
        stopped_epoch: the epoch (from 1) whose weights were kept by early
            stopping, or ``None``.
    """

    name: str
    description: str
    train_loss: np.ndarray
    validation_loss: np.ndarray
    train_accuracy: np.ndarray
    validation_accuracy: np.ndarray
    stopped_epoch: int | None = None

    @property
    def kept(self) -> int:
        """Index of the epoch whose weights the run ends with (the last, or early stopping's)."""
        return -1 if self.stopped_epoch is None else self.stopped_epoch - 1

    @property
    def final_gap(self) -> float:
        """Validation loss minus training loss at the kept weights."""
        return float(self.validation_loss[self.kept] - self.train_loss[self.kept])

    @property
    def final_validation_accuracy(self) -> float:
        return float(self.validation_accuracy[self.kept])


def _specs(weight_decay, dropout_rate):
    from tfcourse import models

    large = models.MLPSpec(hidden_sizes=(512, 512), activation="relu", kernel_initializer="he")
    return {
        "too small": (large.replace(hidden_sizes=(4,)), "784-4-10"),
        "too large": (large, "784-512-512-10"),
        "dropout": (large.replace(dropout_rate=dropout_rate),
                    f"784-512-512-10, dropout {dropout_rate:g}"),
        "weight decay": (large.replace(weight_decay=weight_decay),
                         f"784-512-512-10, weight decay {weight_decay:g}"),
        "early stopping": (large, "784-512-512-10, early stopping"),
    }


def fitting_curves(train, validation, *, epochs: int = 40, batch_size: int = 100,
                   weight_decay: float = 1e-2, dropout_rate: float = 0.5, patience: int = 3,
                   runs=FITTING_RUNS, seed: int = 0) -> dict[str, FittingCurves]:
    """Train each run of ``FITTING_RUNS`` and record its training and validation curves.

    Args:
        train, validation: ``(x, y)`` with flattened inputs (N, 784) and class ids.
        epochs: >= 1. Defaults to 40 (early stopping may stop sooner).
        batch_size: Defaults to 100.
        weight_decay: lambda of the weight-decay run. Defaults to 1e-2.
        dropout_rate: of the dropout run. Defaults to 0.5.
        patience: early stopping's epochs without improvement. Defaults to 3.
        runs: which of ``FITTING_RUNS``.
        seed: weights, dropout masks and mini-batch order.

    Returns:
        run name -> :class:`FittingCurves`.
    """
    import keras

    from tfcourse import models, optimizers
    from tfcourse._validation import check_choice
    from tfcourse.training import MiniBatches

    epochs = check_int("epochs", epochs, low=1)
    patience = check_int("patience", patience, low=1)
    check_positive("weight_decay", weight_decay)
    (x, y), (x_val, y_val) = train, validation
    specs = _specs(weight_decay, dropout_rate)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    results = {}
    for name in runs:
        check_choice("runs", name, FITTING_RUNS)
        spec, description = specs[name]
        keras.utils.set_random_seed(seed)
        model = models.build_model(spec, seed=seed)
        model.compile(optimizer=optimizers.Adam(1e-3), loss=loss)
        batches = MiniBatches(x, y, batch_size, seed=seed)
        recorder = _Recorder((x, y), (x_val, y_val), loss)
        callbacks = [recorder]
        if name == "early stopping":
            # Reads the val_loss the recorder puts into the epoch's logs.
            stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                                    restore_best_weights=True)
            callbacks.append(stopper)
        model.fit(batches.epochs(0, epochs), steps_per_epoch=len(batches), epochs=epochs,
                  verbose=0, shuffle=False, callbacks=callbacks)
        stopped = None
        if name == "early stopping":
            stopped = int(np.argmin(recorder.curves["validation_loss"])) + 1
        results[name] = FittingCurves(name, description,
                                      *(np.asarray(recorder.curves[key])
                                        for key in recorder.curves),
                                      stopped_epoch=stopped)
    return results


class _Recorder:
    """A Keras callback: after each epoch, loss and accuracy on both splits, inference mode."""

    def __new__(cls, train, validation, loss):
        import keras

        class Recorder(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.curves = {key: [] for key in ("train_loss", "validation_loss",
                                                   "train_accuracy", "validation_accuracy")}

            def on_epoch_end(self, epoch, logs=None):
                for split, (xs, ys) in (("train", train), ("validation", validation)):
                    # A direct call: predict() costs ~0.2 s of setup per call here.
                    logits = keras.ops.convert_to_numpy(self.model(xs, training=False))
                    self.curves[f"{split}_loss"].append(float(np.mean(loss(ys, logits))))
                    self.curves[f"{split}_accuracy"].append(
                        float(np.mean(np.argmax(logits, 1) == ys)))
                if logs is not None:
                    logs["val_loss"] = self.curves["validation_loss"][-1]

        return Recorder()
