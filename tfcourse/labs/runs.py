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
``step_loss``, ``epoch_test_accuracy``, and the run's HParams (session
``<lab>/<tier>``, so each lab and tier is its own row); the Keras tier adds
Keras' TensorBoard curves and the learning rate
(:func:`tfcourse.monitoring.run_callbacks`). A run that starts from scratch
replaces the folder's old event files, and a resumed Keras run cuts them
back to the epochs it keeps (:mod:`tfcourse.monitoring.events`), so the
curves never jump back.

``tfcourse run LAB --tier keras`` keeps its epoch-end checkpoints in
``<logdir>/<lab>/keras/checkpoints`` (:func:`keras_checkpoint_dir`) and
saves the trained network as a plain Keras model,
``<logdir>/<lab>/keras/model.keras`` (:func:`save_plain_model`).
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
from tfcourse.labs.progress import TierProgress
from tfcourse.labs.registry import TIERS, Lab, get

__all__ = ["CHECKPOINT_FOLDER", "LabData", "TierRun", "keras_checkpoint_dir", "load_data",
           "plural", "run", "run_keras", "run_legacy", "run_port", "save_plain_model",
           "tf1_batches"]

EPOCHS_LINE = re.compile(r"^training_epochs = \d+[ \t]*$", re.M)
BATCH_LINE = re.compile(r"^batch_size = \d+[ \t]*$", re.M)
ACCURACY_LINE = re.compile(r"^(?:Test )?Accuracy: (\S+)$", re.M)

CHECKPOINT_FOLDER = "checkpoints"
"""The Keras tier's checkpoint folder in its run folder. Not ``checkpoint``:
TensorBoard reads a path of that name in a run folder as a TF checkpoint
index file (and warns, on every page load, that it is a directory)."""

OLD_CHECKPOINT_FOLDER = "checkpoint"
MODEL_FILE = "model.keras"


def plural(count: int, noun: str) -> str:
    """``1 epoch``, ``2 epochs``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


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


def _hparams(lab: Lab, tier: str, epochs: int, seed: int) -> dict:
    return {"lab": lab.name, "tier": tier, "optimizer": lab.optimizer,
            "batch_size": lab.batch_size, "epochs": epochs, "seed": seed,
            **dict(lab.optimizer_config)}


def _write_logs(logdir, lab: Lab, tier: str, result: TierRun, seed: int) -> None:
    """The run's HParams, and ``epoch_loss``, ``step_loss``, ``epoch_test_accuracy``,
    ``epoch_seconds`` into ``<run>/train``, replacing the folder's old events."""
    import tensorflow as tf  # noqa: PLC0415

    from tfcourse.monitoring import remove_events, run_dir, write_hparams  # noqa: PLC0415

    folder = run_dir(logdir, lab.name, tier)
    remove_events(folder)
    write_hparams(folder, _hparams(lab, tier, result.epochs, seed), trial_id=f"{lab.name}/{tier}")
    writer = tf.summary.create_file_writer(os.path.join(folder, "train"))
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
               progress: bool = True, echo: bool = False,
               progress_label: str = "legacy") -> TierRun:
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
        progress: show the progress on stderr (:class:`~tfcourse.labs.progress.TierProgress`).
        echo: also print the program's output as it runs.
        progress_label: how the progress lines name the tier.
    """
    from tfcourse.compat import run_script  # noqa: PLC0415
    from tfcourse.compat.trace import Trace, recording  # noqa: PLC0415

    lab = get(lab)
    source = _legacy_source(lab, epochs)
    epochs = lab.epochs if epochs is None else epochs
    bar = TierProgress(progress_label, epochs, enabled=progress)
    stamps: list[float] = []

    class _TimedTrace(Trace):
        def record_initial_weights(self, weights):
            super().record_initial_weights(weights)
            if self.initializer_runs == 1:
                stamps.insert(0, time.perf_counter())

        def record_step(self, train_op, loss):
            if not self.losses and self.datasets:
                bar.steps_per_epoch = self.datasets[-1]["train"] // lab.batch_size
            super().record_step(train_op, loss)
            stamps.append(time.perf_counter())
            done, steps = len(self.losses), bar.steps_per_epoch
            bar.step(done, float(self.losses[-1]))
            if steps and done % steps == 0 and done // steps <= epochs:
                epoch = done // steps - 1
                start = stamps[epoch * steps] if epoch else stamps[0]
                bar.epoch_end(epoch, float(np.mean(self.losses[-steps:])), stamps[-1] - start)

    buffer = io.StringIO()
    stream = _Tee(sys.stdout, buffer) if echo else buffer
    trace = _TimedTrace()
    with recording(trace), contextlib.redirect_stdout(stream):
        try:
            result = run_script(lab.program, source=source, dataset=dataset,
                                max_examples=max_examples, seed=seed, trace=False)
        finally:
            bar.close()
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
        _write_logs(logdir, lab, "legacy", run_result, seed)
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
             progress: bool = True, progress_label: str = "port") -> TierRun:
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
        logdir, progress, progress_label: as :func:`run_legacy`.
    """
    import tensorflow as tf  # noqa: PLC0415

    from tfcourse.labs.port import MLPPort  # noqa: PLC0415

    lab = get(lab)
    epochs = lab.epochs if epochs is None else check_int("epochs", epochs, low=1)
    weights, batches, steps = _weights_and_batches(lab, data, epochs, seed, weights, batches)
    port = MLPPort(lab, weights, names=names, dropout_seed=seed)
    x_train, y_train = data.train
    x_test, y_test = data.test
    bar = TierProgress(progress_label, epochs, steps, enabled=progress)
    losses, seconds, accuracy = [], [], []
    try:
        for epoch in range(epochs):
            start = time.perf_counter()
            for idx in batches[epoch * steps:(epoch + 1) * steps]:
                c = float(port.train_step(tf.constant(x_train[idx]), tf.constant(y_train[idx])))
                losses.append(c)
                bar.step(len(losses), c)
            seconds.append(time.perf_counter() - start)
            accuracy.append(port.accuracy(x_test, y_test))
            bar.epoch_end(epoch, float(np.mean(losses[-steps:])), seconds[-1], accuracy[-1])
    finally:
        bar.close()
    losses = np.asarray(losses, np.float64)
    result = TierRun(tier="port", step_losses=losses, epoch_costs=_per_epoch(losses, steps, epochs),
                     test_accuracy=accuracy, final_accuracy=accuracy[-1], seconds=seconds,
                     steps_per_epoch=steps)
    result.port = port
    if logdir is not None:
        _write_logs(logdir, lab, "port", result, seed)
    return result


def run_keras(lab: Lab | str, data: LabData, *, epochs: int | None = None, weights=None,
              batches=None, seed: int = 0, logdir=None, verbose: Any = "auto",
              dense: str = "keras", checkpoint_dir=None, checkpoint_metadata=None,
              progress: bool = False, progress_label: str = "keras",
              **fit_overrides) -> TierRun:
    """Train the Keras version with ``model.fit`` (:func:`tfcourse.labs.keras_tier.fit_lab`).

    Arguments as :func:`run_port`; ``verbose`` is ``model.fit``'s (Keras'
    progress bar; ``progress`` shows tfcourse's instead); ``dense`` picks
    Keras' ``Dense`` or :class:`~tfcourse.labs.keras_tier.TF1Dense`;
    ``fit_overrides`` are keys of :data:`tfcourse.labs.keras_tier.FIT_DEFAULTS`;
    ``checkpoint_dir`` and ``checkpoint_metadata`` are
    :func:`~tfcourse.labs.keras_tier.fit_lab`'s (epoch-end checkpoints, exact
    resume, more epochs continue a checkpoint). With ``logdir``, a run from
    scratch replaces the run folder's event files and a resumed run cuts them
    back to its restored epochs (:mod:`tfcourse.monitoring.events`).
    """
    from tfcourse.labs import keras_tier  # noqa: PLC0415

    lab = get(lab)
    epochs = lab.epochs if epochs is None else check_int("epochs", epochs, low=1)
    weights, batches, steps = _weights_and_batches(lab, data, epochs, seed, weights, batches)
    callbacks, prepare_logs, folder = [], None, None
    if logdir is not None:
        from tfcourse.monitoring import (  # noqa: PLC0415
            remove_events, run_callbacks, run_dir, truncate_events)

        folder = run_dir(logdir, lab.name, "keras")
        # A fixed probe batch from the validation split drives the activation
        # statistics and per-layer gradient norms (every 100 steps); softmax
        # regression has no hidden layer to watch.
        probe = tuple(array[:256] for array in data.validation) if lab.hidden_sizes else None
        callbacks = run_callbacks(folder, probe, hparams=_hparams(lab, "keras", epochs, seed),
                                  trial_id=f"{lab.name}/keras")
        callbacks.append(keras_tier.StepLossLogger(folder, steps))

        def prepare_logs(initial_epoch, steps_per_epoch):
            if initial_epoch:
                truncate_events(folder, initial_epoch, initial_epoch * steps_per_epoch)
            else:
                remove_events(folder)

    bar = TierProgress(progress_label, epochs, steps, enabled=progress)
    model, history, extras = keras_tier.fit_lab(
        lab, data.as_tuple(), batches, epochs, weights=weights, seed=seed, callbacks=callbacks,
        verbose=0 if progress else verbose, dense=dense, checkpoint_dir=checkpoint_dir,
        checkpoint_metadata=checkpoint_metadata, progress=bar if progress else None,
        prepare_logs=prepare_logs, **fit_overrides)
    losses = np.asarray(model.step_losses.numpy(), np.float64)[:steps * epochs]
    result = TierRun(tier="keras", step_losses=losses,
                     epoch_costs=_per_epoch(losses, steps, epochs),
                     test_accuracy=list(extras["test_accuracy"]),
                     final_accuracy=extras["test_accuracy"][-1], seconds=list(extras["seconds"]),
                     steps_per_epoch=steps)
    result.model, result.history = model, history
    result.initial_epoch = extras["initial_epoch"]
    return result


def keras_checkpoint_dir(logdir, lab: Lab | str) -> tuple[str, str | None]:
    """``(<logdir>/<lab>/keras/checkpoints, moved_from)``: the Keras tier's checkpoint folder.

    A folder of an earlier tfcourse, ``<logdir>/<lab>/keras/checkpoint``, is
    renamed to the new name (``moved_from`` is then its path, else None), so
    its run resumes and TensorBoard stops reading it as a checkpoint index.
    """
    from tfcourse.monitoring import run_dir  # noqa: PLC0415

    folder = run_dir(logdir, get(lab).name, "keras")
    new, old = os.path.join(folder, CHECKPOINT_FOLDER), os.path.join(folder, OLD_CHECKPOINT_FOLDER)
    if os.path.isdir(old) and not os.path.exists(new):
        os.replace(old, new)
        return new, old
    return new, None


def save_plain_model(result: TierRun, path) -> str:
    """Save the Keras run's network as a plain Keras model (atomically); return the path.

    :func:`tfcourse.load_model` opens it, and so does ``keras.saving.load_model``
    after ``import tfcourse`` (the lab's optimizer and initializers are
    tfcourse classes).
    """
    from tfcourse.checkpointing import atomic_write  # noqa: PLC0415
    from tfcourse.labs.keras_tier import plain_model  # noqa: PLC0415

    path = os.fspath(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    atomic_write(path, plain_model(result.model).save)
    return path


def run(lab: Lab | str, tier: str, *, dataset: str = "mnist", epochs: int | None = None,
        max_examples: int | None = None, seed: int = 0, logdir=None, verbose: bool = True,
        echo: bool = True, dense: str = "keras", checkpoint_dir=None,
        overwrite: bool = False) -> TierRun:
    """Run one tier of a lab on its own (``tfcourse run``); see the module docstring.

    ``verbose``: show the progress on stderr. ``checkpoint_dir`` (keras tier
    only): epoch-end checkpoints there; running the same call again after a
    kill resumes from the last one and ends with the weights of an
    uninterrupted run, and a call with more ``epochs`` trains the finished
    run further. The run's settings (lab, dataset, epochs, max_examples,
    seed, dense) are stored with it, and a checkpoint of other settings
    (epochs aside) is refused. ``overwrite`` first removes the tier's
    checkpoints, saved model and event files. With ``logdir``, the Keras
    tier saves ``<logdir>/<lab>/keras/model.keras`` (``result.model_path``).
    """
    lab = get(lab)
    check_choice("tier", tier, TIERS)
    if epochs is not None:
        epochs = check_int("epochs", epochs, low=1)
    if overwrite:
        _discard(logdir, lab, tier, checkpoint_dir)
    if tier == "legacy":
        return run_legacy(lab, dataset=dataset, epochs=epochs, max_examples=max_examples,
                          seed=seed, logdir=logdir, progress=verbose, echo=echo)
    data = load_data(dataset, max_examples)
    if tier == "port":
        return run_port(lab, data, epochs=epochs, seed=seed, logdir=logdir, progress=verbose)
    metadata = {"lab": lab.name, "dataset": dataset, "max_examples": max_examples,
                "epochs": lab.epochs if epochs is None else epochs, "seed": seed, "dense": dense}
    result = run_keras(lab, data, epochs=epochs, seed=seed, logdir=logdir, verbose=0,
                       progress=verbose, dense=dense, checkpoint_dir=checkpoint_dir,
                       checkpoint_metadata=metadata)
    result.model_path = None
    if logdir is not None:
        from tfcourse.monitoring import run_dir  # noqa: PLC0415

        result.model_path = save_plain_model(
            result, os.path.join(run_dir(logdir, lab.name, "keras"), MODEL_FILE))
    return result


def _discard(logdir, lab: Lab, tier: str, checkpoint_dir) -> None:
    """What an earlier run of the tier left: checkpoints, saved model, event files."""
    import shutil  # noqa: PLC0415

    if checkpoint_dir is not None and os.path.isdir(checkpoint_dir):
        shutil.rmtree(checkpoint_dir)
    if logdir is None:
        return
    from tfcourse.monitoring import remove_events, run_dir  # noqa: PLC0415

    folder = run_dir(logdir, lab.name, tier)
    remove_events(folder)
    if tier == "keras":
        old = os.path.join(folder, OLD_CHECKPOINT_FOLDER)
        if os.path.isdir(old):
            shutil.rmtree(old)
        if os.path.isfile(os.path.join(folder, MODEL_FILE)):
            os.remove(os.path.join(folder, MODEL_FILE))
