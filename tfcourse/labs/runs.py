"""Run one tier of a lab: the legacy program, the TF2 port or the Keras version.

``tfcourse run LAB --tier legacy|port|keras`` and ``tfcourse compare`` call
:func:`run_legacy`, :func:`run_port` and :func:`run_keras`. All three train on
the same data: the split TF1's ``input_data.read_data_sets`` builds
(55000/5000/10000, validation = the first 5000 training images, pixels
``x * (1/255)`` in float32), taken from :mod:`tfcourse.compat.input_data`
itself, and mini-batches in TF1's ``next_batch`` order.

* legacy: the program of ``legacy_tf1/`` through
  :func:`tfcourse.compat.run_script`, on the chosen data set; with
  ``epochs`` given, its ``training_epochs = 15`` line is the one line changed.
  A :class:`~tfcourse.compat.Trace` records its initial weights, mini-batch
  indices and per-step losses.
* port and keras: from given initial weights (the legacy run's, for a
  comparison) or drawn by the lab's initializers, on given mini-batches (the
  legacy run's) or TF1's order for the lab's seed.

Each run writes TensorBoard logs to ``<logdir>/<lab>/<tier>/{train,validation}``
when ``logdir`` is given: ``epoch_loss`` (the program's ``avg_cost``),
``step_loss``, ``epoch_test_accuracy``; the Keras tier adds Keras'
TensorBoard curves, the learning rate and the HParams of the run
(:func:`tfcourse.monitoring.run_callbacks`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import re
import sys
import time
from typing import Any, Sequence

import numpy as np

from tfcourse._validation import check_choice, check_int
from tfcourse.labs.registry import TIERS, Lab, get

__all__ = ["LabData", "TierRun", "load_data", "run", "run_keras", "run_legacy", "run_port",
           "tf1_batches"]

EPOCHS_LINE = re.compile(r"^training_epochs = \d+[ \t]*$", re.M)
BATCH_LINE = re.compile(r"^batch_size = \d+[ \t]*$", re.M)
ACCURACY_LINE = re.compile(r"^(?:Test )?Accuracy: (\S+)$", re.M)


@dataclasses.dataclass
class LabData:
    """The split of the legacy ``input_data``: float32 images (N, 784), float32 one-hot labels."""

    train: tuple
    validation: tuple
    test: tuple
    dataset: str
    source: str

    @property
    def num_train(self) -> int:
        return len(self.train[0])

    def as_tuple(self):
        return self.train, self.validation, self.test


@dataclasses.dataclass
class TierRun:
    """What one tier did.

    Attributes:
        tier: ``legacy``, ``port`` or ``keras``.
        step_losses: the loss of every training step (float64 copy of float32 values).
        epoch_costs: mean step loss per epoch (the programs' ``avg_cost``).
        test_accuracy: test accuracy after each epoch; ``None`` where the tier
            does not say (the legacy programs print it once, at the end).
        final_accuracy: test accuracy after training.
        seconds: wall time of each epoch's training steps.
        steps_per_epoch: ``int(num_train / batch_size)``, the programs' ``total_batch``.
        output: what the legacy program printed.
        trace: the legacy run's :class:`~tfcourse.compat.Trace`.
    """

    tier: str
    step_losses: np.ndarray
    epoch_costs: list
    test_accuracy: list
    final_accuracy: float
    seconds: list
    steps_per_epoch: int
    output: str = ""
    trace: Any = None

    @property
    def epochs(self) -> int:
        return len(self.epoch_costs)


def load_data(dataset: str = "mnist", max_examples: int | None = None) -> LabData:
    """The arrays the legacy programs train on, from compat's own ``read_data_sets``."""
    from tfcourse.compat import input_data, overrides  # noqa: PLC0415

    with overrides(dataset=dataset, max_examples=max_examples):
        splits = input_data.read_data_sets("MNIST_data/", one_hot=True, seed=0)
    # Before the first next_batch, each DataSet holds its split in file order.
    pairs = [(np.asarray(s.images, np.float32), np.asarray(s.labels, np.float32))
             for s in (splits.train, splits.validation, splits.test)]
    return LabData(*pairs, dataset=dataset, source=dataset)


def tf1_batches(num_examples: int, batch_size: int, num_batches: int, seed: int) -> list:
    """The indices of TF1's ``next_batch`` mini-batches for a shuffle seed, in order."""
    from tfcourse.compat import input_data  # noqa: PLC0415

    from tfcourse.compat import recording  # noqa: PLC0415

    split = input_data.DataSet(np.zeros((num_examples, 1), np.float32), np.arange(num_examples),
                               seed=seed)
    with recording() as trace:
        for _ in range(num_batches):
            split.next_batch(batch_size)
    return trace.train_batches


class _Progress:
    """A one-line progress bar per epoch (legacy and port tiers), on ``stream``."""

    def __init__(self, stream, steps_per_epoch: int, epochs: int, enabled: bool = True):
        self.stream, self.steps, self.epochs, self.enabled = stream, steps_per_epoch, epochs, enabled
        self.step, self.total = 0, 0.0

    def update(self, loss: float) -> None:
        self.step += 1
        self.total += loss
        if not self.enabled or self.steps <= 0:
            return
        epoch, within = divmod(self.step - 1, self.steps)
        within += 1
        if epoch >= self.epochs:
            return
        width = 30
        done = width * within // self.steps
        self.stream.write(f"\rEpoch {epoch + 1}/{self.epochs} [{'=' * done}{'.' * (width - done)}] "
                          f"{within}/{self.steps} cost: {loss:.4f}")
        if within == self.steps:
            self.stream.write("\n")
        self.stream.flush()


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self):
        for stream in self.streams:
            stream.flush()


def _per_epoch(values: np.ndarray, steps: int, epochs: int) -> list:
    values = np.asarray(values, np.float64)[:steps * epochs]
    full = len(values) // steps if steps else 0
    return [float(v) for v in values[:full * steps].reshape(full, steps).mean(axis=1)] if full else []


def _write_logs(logdir, lab: Lab, tier: str, result: TierRun) -> None:
    """``epoch_loss``, ``step_loss``, ``epoch_test_accuracy``, ``epoch_seconds`` into ``<run>/train``."""
    import tensorflow as tf  # noqa: PLC0415

    from tfcourse.monitoring import run_dir  # noqa: PLC0415

    folder = os.path.join(run_dir(logdir, lab.name, tier), "train")
    writer = tf.summary.create_file_writer(folder)
    with writer.as_default():
        for step, loss in enumerate(result.step_losses):
            tf.summary.scalar("step_loss", float(loss), step=step)
        for epoch, cost in enumerate(result.epoch_costs):
            tf.summary.scalar("epoch_loss", cost, step=epoch)
            if epoch < len(result.seconds):
                tf.summary.scalar("epoch_seconds", result.seconds[epoch], step=epoch)
        for epoch, accuracy in enumerate(result.test_accuracy):
            if accuracy is not None:
                tf.summary.scalar("epoch_test_accuracy", accuracy, step=epoch)
    writer.close()


def _legacy_source(lab: Lab, epochs: int | None) -> str:
    """The program's text with its ``training_epochs`` (if given) and ``batch_size`` lines set."""
    text = lab.program.read_text(encoding="utf-8")
    if epochs is not None:
        if len(EPOCHS_LINE.findall(text)) != 1:
            raise ValueError(f"{lab.program} has no single `training_epochs = N` line to set "
                             "epochs")
        text = EPOCHS_LINE.sub(f"training_epochs = {epochs}", text)
    if len(BATCH_LINE.findall(text)) != 1:
        raise ValueError(f"{lab.program} has no single `batch_size = N` line to set the batch size")
    # the lab's value (the program's own, unless the lab was replaced with another)
    return BATCH_LINE.sub(f"batch_size = {lab.batch_size}", text)


def run_legacy(lab: Lab | str, *, dataset: str = "mnist", epochs: int | None = None,
               max_examples: int | None = None, seed: int = 0, logdir=None,
               progress: bool = True, echo: bool = False) -> TierRun:
    """Run the lab's TF1 program through tfcourse.compat and record what it did.

    Args:
        lab: a lab or its name.
        dataset: ``mnist``, ``fashion_mnist`` or ``synthetic`` (compat's ``TFCOURSE_DATASET``).
        epochs: ``training_epochs`` for this run (the program's own line is
            replaced), or None for the program's 15.
        max_examples: keep at most N examples per split (``TFCOURSE_MAX_EXAMPLES``).
        seed: the graph seed set before the program runs; programs that call
            ``tf.set_random_seed(777)`` keep theirs. It also seeds the shuffle.
        logdir: the log root (``logs``), or None for no logs.
        progress: show a progress bar on stderr.
        echo: also print the program's output as it runs.
    """
    from tfcourse.compat import run_script  # noqa: PLC0415
    from tfcourse.compat.trace import Trace, recording  # noqa: PLC0415

    lab = get(lab)
    source = _legacy_source(lab, epochs)
    epochs = lab.epochs if epochs is None else epochs
    bar = _Progress(sys.stderr, 0, epochs, enabled=progress)
    stamps: list[float] = []

    class _TimedTrace(Trace):
        def record_initial_weights(self, weights):
            super().record_initial_weights(weights)
            if self.initializer_runs == 1:
                stamps.insert(0, time.perf_counter())

        def record_step(self, train_op, loss):
            if not self.losses and self.datasets:
                bar.steps = self.datasets[-1]["train"] // lab.batch_size
            super().record_step(train_op, loss)
            stamps.append(time.perf_counter())
            bar.update(self.losses[-1])

    buffer = io.StringIO()
    stream = _Tee(sys.stdout, buffer) if echo else buffer
    trace = _TimedTrace()
    with recording(trace), contextlib.redirect_stdout(stream):
        result = run_script(lab.program, source=source, dataset=dataset,
                            max_examples=max_examples, seed=seed, trace=False)
    if result.exit_code:
        raise RuntimeError(f"{lab.program} exited with status {result.exit_code}")
    trace.metadata.update({"script": str(lab.program), "dataset": dataset, "epochs": epochs,
                           "max_examples": max_examples, "seed": seed})
    output = buffer.getvalue()
    if not trace.datasets:
        raise RuntimeError(f"{lab.program} did not call input_data.read_data_sets")
    steps = trace.datasets[-1]["train"] // lab.batch_size
    accuracies = [float(v) for v in ACCURACY_LINE.findall(output)]
    losses = np.asarray(trace.losses, np.float64)
    epoch_ends = [stamps[min(e * steps, len(stamps) - 1)] for e in range(epochs + 1)] if stamps else []
    seconds = [b - a for a, b in zip(epoch_ends[:-1], epoch_ends[1:])]
    test_accuracy: list = [None] * epochs
    if lab.early_stopping and len(accuracies) >= epochs:
        test_accuracy = accuracies[:epochs]
    elif accuracies:
        test_accuracy[-1] = accuracies[-1]
    run_result = TierRun(
        tier="legacy", step_losses=losses, epoch_costs=_per_epoch(losses, steps, epochs),
        test_accuracy=test_accuracy, final_accuracy=accuracies[-1] if accuracies else float("nan"),
        seconds=seconds, steps_per_epoch=steps, output=output, trace=trace,
    )
    if logdir is not None:
        _write_logs(logdir, lab, "legacy", run_result)
    return run_result


def _weights_and_batches(lab: Lab, data: LabData, epochs: int, seed: int, weights, batches):
    from tfcourse.labs.port import draw_initial_weights  # noqa: PLC0415

    steps = data.num_train // lab.batch_size
    if batches is None:
        shuffle_seed = lab.graph_seed if lab.graph_seed is not None else seed
        batches = tf1_batches(data.num_train, lab.batch_size, steps * epochs, shuffle_seed)
    if len(batches) < steps * epochs:
        raise ValueError(
            f"{epochs} epochs of {steps} steps need {steps * epochs} mini-batches. "
            f"Received: {len(batches)}"
        )
    if weights is None:
        weights = draw_initial_weights(lab, seed)
    return list(weights), list(batches[:steps * epochs]), steps


def run_port(lab: Lab | str, data: LabData, *, epochs: int | None = None, weights=None,
             names: Sequence[str] | None = None, batches=None, seed: int = 0, logdir=None,
             progress: bool = True) -> TierRun:
    """Train the TF2 port (:class:`tfcourse.labs.port.MLPPort`) step by step.

    Args:
        lab: a lab or its name.
        data: :func:`load_data`'s arrays.
        epochs: number of epochs (the lab's 15 by default).
        weights: initial weights in creation order, or None (drawn like the program).
        names: the TF1 variable names of ``weights``.
        batches: train-split index arrays, in order, or None (TF1's order).
        seed: seed of drawn weights, of the shuffle (programs without a
            graph seed) and of the dropout masks.
        logdir, progress: as :func:`run_legacy`.
    """
    import tensorflow as tf  # noqa: PLC0415

    from tfcourse.labs.port import MLPPort  # noqa: PLC0415

    lab = get(lab)
    epochs = lab.epochs if epochs is None else check_int("epochs", epochs, low=1)
    weights, batches, steps = _weights_and_batches(lab, data, epochs, seed, weights, batches)
    port = MLPPort(lab, weights, names=names, dropout_seed=seed)
    x_train, y_train = data.train
    x_test, y_test = data.test
    bar = _Progress(sys.stderr, steps, epochs, enabled=progress)
    losses, seconds, accuracy = [], [], []
    for epoch in range(epochs):
        start = time.perf_counter()
        for idx in batches[epoch * steps:(epoch + 1) * steps]:
            c = float(port.train_step(tf.constant(x_train[idx]), tf.constant(y_train[idx])))
            losses.append(c)
            bar.update(c)
        seconds.append(time.perf_counter() - start)
        accuracy.append(port.accuracy(x_test, y_test))
    losses = np.asarray(losses, np.float64)
    result = TierRun(tier="port", step_losses=losses, epoch_costs=_per_epoch(losses, steps, epochs),
                     test_accuracy=accuracy, final_accuracy=accuracy[-1], seconds=seconds,
                     steps_per_epoch=steps)
    result.port = port
    if logdir is not None:
        _write_logs(logdir, lab, "port", result)
    return result


def run_keras(lab: Lab | str, data: LabData, *, epochs: int | None = None, weights=None,
              batches=None, seed: int = 0, logdir=None, verbose: Any = "auto",
              dense: str = "keras", checkpoint_dir=None, checkpoint_metadata=None,
              **fit_overrides) -> TierRun:
    """Train the Keras version with ``model.fit`` (:func:`tfcourse.labs.keras_tier.fit_lab`).

    Arguments as :func:`run_port`; ``verbose`` is ``model.fit``'s (Keras'
    progress bar); ``dense`` picks Keras' ``Dense`` or
    :class:`~tfcourse.labs.keras_tier.TF1Dense`; ``fit_overrides`` are keys of
    :data:`tfcourse.labs.keras_tier.FIT_DEFAULTS`; ``checkpoint_dir`` and
    ``checkpoint_metadata`` are :func:`~tfcourse.labs.keras_tier.fit_lab`'s
    (epoch-end checkpoints, exact resume).
    """
    from tfcourse.labs import keras_tier  # noqa: PLC0415

    lab = get(lab)
    epochs = lab.epochs if epochs is None else check_int("epochs", epochs, low=1)
    weights, batches, steps = _weights_and_batches(lab, data, epochs, seed, weights, batches)
    callbacks = []
    if logdir is not None:
        from tfcourse.monitoring import run_callbacks, run_dir  # noqa: PLC0415

        hparams = {"lab": lab.name, "tier": "keras", "optimizer": lab.optimizer,
                   "batch_size": lab.batch_size, "epochs": epochs, "seed": seed,
                   **{k: v for k, v in lab.optimizer_config.items()}}
        # A fixed probe batch from the validation split drives the activation
        # statistics and per-layer gradient norms (every 100 steps); softmax
        # regression has no hidden layer to watch.
        probe = tuple(array[:256] for array in data.validation) if lab.hidden_sizes else None
        callbacks = run_callbacks(run_dir(logdir, lab.name, "keras"), probe, hparams=hparams)
    model, history, extras = keras_tier.fit_lab(
        lab, data.as_tuple(), batches, epochs, weights=weights, seed=seed, callbacks=callbacks,
        verbose=verbose, dense=dense, checkpoint_dir=checkpoint_dir,
        checkpoint_metadata=checkpoint_metadata, **fit_overrides)
    losses = np.asarray(model.step_losses.numpy(), np.float64)[:steps * epochs]
    result = TierRun(tier="keras", step_losses=losses,
                     epoch_costs=_per_epoch(losses, steps, epochs),
                     test_accuracy=list(extras["test_accuracy"]),
                     final_accuracy=extras["test_accuracy"][-1], seconds=list(extras["seconds"]),
                     steps_per_epoch=steps)
    result.model, result.history = model, history
    if logdir is not None:
        import tensorflow as tf  # noqa: PLC0415

        writer = tf.summary.create_file_writer(
            os.path.join(run_dir(logdir, lab.name, "keras"), "train"))
        with writer.as_default():
            for step, loss in enumerate(losses):
                tf.summary.scalar("step_loss", float(loss), step=step)
        writer.close()
    return result


def run(lab: Lab | str, tier: str, *, dataset: str = "mnist", epochs: int | None = None,
        max_examples: int | None = None, seed: int = 0, logdir=None, verbose: bool = True,
        echo: bool = True, dense: str = "keras", checkpoint_dir=None) -> TierRun:
    """Run one tier of a lab on its own (``tfcourse run``); see the module docstring.

    ``checkpoint_dir`` (keras tier only): epoch-end checkpoints there; running
    the same call again after a kill resumes from the last one and ends with
    the weights of an uninterrupted run. The run's settings (lab, dataset,
    epochs, max_examples, seed, dense) are stored with it, and a checkpoint
    of other settings is refused.
    """
    lab = get(lab)
    check_choice("tier", tier, TIERS)
    if epochs is not None:
        epochs = check_int("epochs", epochs, low=1)
    if tier == "legacy":
        return run_legacy(lab, dataset=dataset, epochs=epochs, max_examples=max_examples,
                          seed=seed, logdir=logdir, progress=verbose, echo=echo)
    data = load_data(dataset, max_examples)
    if tier == "port":
        return run_port(lab, data, epochs=epochs, seed=seed, logdir=logdir, progress=verbose)
    metadata = {"lab": lab.name, "dataset": dataset, "max_examples": max_examples,
                "epochs": lab.epochs if epochs is None else epochs, "seed": seed, "dense": dense}
    return run_keras(lab, data, epochs=epochs, seed=seed, logdir=logdir,
                     verbose="auto" if verbose else 0, dense=dense,
                     checkpoint_dir=checkpoint_dir, checkpoint_metadata=metadata)
