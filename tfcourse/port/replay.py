"""Run a ported Keras program from the TF1 run's start: its weights, its mini-batches, its steps.

``tfcourse compare PROGRAM.py`` runs the TF1 program (recording a
:class:`~tfcourse.compat.Trace`: initial weights, ``next_batch`` order,
per-step losses) and then its Keras version, unchanged, inside
:func:`replaying`, which does for Keras what :mod:`tfcourse.compat.session`
does for ``tf.Session``:

* **initial weights.** Each Keras model the program builds gets, as soon as
  it is built, the TF1 run's initial values of the variables its layers
  stand for (the porter's weight table: layer name and weight -> TF1
  variable). Models built later from the same layers (``keras.Model(model.
  inputs, ...)`` to fetch an intermediate) share the weights already set.
* **mini-batches.** ``model.fit(x, y, batch_size=B, epochs=E)`` trains on the
  next ``E * ceil(len(x) / B)`` mini-batches the TF1 program drew with
  ``next_batch`` (indices into the same split, which both programs read with
  the same ``input_data``), in the same order; a program that fed whole
  arrays (no ``next_batch``) trains on what it passes.
* **per-step losses.** Each training step's loss (what ``compute_loss``
  returns in ``train_step``, regularization included, before the update, as
  TF1's ``sess.run([cost, train])`` returned it) is written into a buffer at
  the step's index, for every step whatever ``steps_per_execution`` is.
* **evaluations.** What ``evaluate`` and ``predict`` return, with the program
  line that called them, so results can be paired with the TF1 program's.
* **step cap.** ``max_steps=N``: training calls after N steps compute the
  loss without an update, as ``TFCOURSE_MAX_STEPS`` does for the TF1 program
  inside ``tfcourse compare`` (its train op becomes a no-op).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import sys
from typing import Any, Iterator

import numpy as np

__all__ = ["KerasRun", "replaying"]


@dataclasses.dataclass
class KerasRun:
    """What the Keras program did inside :func:`replaying`.

    Attributes:
        losses: the loss of each training step, model after model.
        model_losses: the losses of each model (in build order).
        evaluations: ``(line in the Keras program, "evaluate"/"predict", value)``.
        models: the Keras models built, in order.
        batches_used: how many recorded mini-batches were replayed.
    """

    losses: list = dataclasses.field(default_factory=list)
    model_losses: list = dataclasses.field(default_factory=list)
    evaluations: list = dataclasses.field(default_factory=list)
    models: list = dataclasses.field(default_factory=list)
    batches_used: int = 0


class _Replay:
    def __init__(self, program: str, weights: list[dict], batches: list | None,
                 max_steps: int | None, capacity: int):
        self.program = program
        self.weights = weights
        self.batches = batches
        self.max_steps = max_steps
        self.capacity = max(int(capacity), 1)
        self.run = KerasRun()
        self.initialized_layers: set = set()
        self.buffers: dict = {}
        self.steps_done = 0

    # -- models -----------------------------------------------------------------------

    def model_built(self, model) -> None:
        layers = [layer for layer in model.layers if layer.weights]
        new = [layer for layer in layers if id(layer) not in self.initialized_layers]
        if not new:
            return
        index = len(self.run.models)
        self.run.models.append(model)
        if index < len(self.weights):
            table = self.weights[index]
            for layer in layers:
                for weight in layer.weights:
                    key = (layer.name, weight.name.split("/")[-1])
                    if key in table:
                        value = np.asarray(table[key])
                        weight.assign(value.reshape(tuple(weight.shape)).astype(
                            weight.dtype if isinstance(weight.dtype, str) else "float32"))
        self.initialized_layers |= {id(layer) for layer in layers}

    # -- per-step losses ------------------------------------------------------------------

    def watch(self, model) -> None:
        """Record each training step's loss of ``model`` (once per model)."""
        if id(model) in self.buffers:
            return
        import keras  # noqa: PLC0415
        import tensorflow as tf  # noqa: PLC0415

        buffer = tf.Variable(np.zeros(self.capacity + 1, np.float64), trainable=False,
                             name="tfcourse_step_losses")
        offset = len(self.run.losses)
        original = model.compute_loss

        def compute_loss(*args, training=True, **kwargs):
            loss = original(*args, training=training, **kwargs)
            if training and model.optimizer is not None:
                index = tf.minimum(tf.cast(model.optimizer.iterations, tf.int32), self.capacity)
                buffer.scatter_nd_update([[index]], [tf.cast(loss, tf.float64)])
            return loss

        model.compute_loss = compute_loss
        model._compute_loss_has_training_arg = True
        model.train_function = None
        self.buffers[id(model)] = (model, buffer, offset)
        del keras

    def collect_losses(self) -> list:
        """Each model's step losses, in the order the models were built."""
        per_model = []
        order = {id(model): index for index, model in enumerate(self.run.models)}
        for model, buffer, _ in sorted(self.buffers.values(),
                                       key=lambda item: order.get(id(item[0]), len(order))):
            steps = int(model.optimizer.iterations.numpy()) if model.optimizer is not None else 0
            per_model.append([float(v) for v in buffer.numpy()[:min(steps, self.capacity)]])
        return per_model

    # -- the caller's line --------------------------------------------------------------

    def caller_line(self) -> int | None:
        frame = sys._getframe(2)
        while frame is not None:
            if frame.f_code.co_filename == self.program:
                return frame.f_lineno
            frame = frame.f_back
        return None

    # -- data ---------------------------------------------------------------------------

    def replay_data(self, x, y, batch_size, epochs, initial_epoch):
        """The recorded mini-batches for one ``fit`` call, or None to train on ``x`` as given."""
        if not self.batches or batch_size is None:
            return None
        import tensorflow as tf  # noqa: PLC0415

        x = np.asarray(x)
        y = np.asarray(y)
        steps_per_epoch = math.ceil(len(x) / int(batch_size))
        steps = steps_per_epoch * (int(epochs) - int(initial_epoch))
        start = self.run.batches_used
        chosen = self.batches[start:start + steps]
        if len(chosen) < steps:
            return None
        self.run.batches_used += steps
        # A generator, not tf.gather on x: a dataset holding x as a constant copies all of it
        # into its graph at every fit call (seconds and hundreds of MB for MNIST).
        def batches():
            for indices in chosen:
                yield x[indices], y[indices]

        signature = tuple(tf.TensorSpec((None, *array.shape[1:]), tf.as_dtype(array.dtype))
                          for array in (x, y))
        dataset = tf.data.Dataset.from_generator(batches, output_signature=signature)
        return dataset, steps_per_epoch


@contextlib.contextmanager
def replaying(program: str, weights: list[dict], batches: list | None = None,
              max_steps: int | None = None, capacity: int = 100_000) -> Iterator[KerasRun]:
    """Run Keras code (the ported program) from a TF1 run's start (see the module docstring).

    Args:
        program: the Keras program's file name (its frames locate evaluations).
        weights: per model, in build order, ``{(layer name, weight name): value}``.
        batches: index arrays of the TF1 run's training mini-batches, in order.
        max_steps: train at most this many steps.
        capacity: most training steps recorded per model.
    """
    import keras  # noqa: PLC0415
    from keras.src.models import functional  # noqa: PLC0415

    replay = _Replay(program, weights, batches, max_steps, capacity)
    originals = {
        "model_init": keras.Model.__init__,
        "functional_init": functional.Functional.__init__,
        "fit": keras.Model.fit,
        "train_on_batch": keras.Model.train_on_batch,
        "evaluate": keras.Model.evaluate,
        "predict": keras.Model.predict,
        "test_on_batch": keras.Model.test_on_batch,
        "predict_on_batch": keras.Model.predict_on_batch,
    }

    def model_init(self, *args, **kwargs):
        originals["model_init"](self, *args, **kwargs)
        if type(self).__init__ is not functional.Functional.__init__ and self.built:
            replay.model_built(self)

    def functional_init(self, *args, **kwargs):
        originals["functional_init"](self, *args, **kwargs)
        replay.model_built(self)

    def capped(self) -> bool:
        return replay.max_steps is not None and replay.steps_done >= replay.max_steps

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, **kwargs):
        replay.watch(self)
        if capped(self):  # as TFCOURSE_MAX_STEPS does: the loss, no update
            history = keras.callbacks.History()
            history.set_model(self)
            loss = originals["evaluate"](self, x, y, verbose=0, return_dict=True)["loss"]
            history.history = {"loss": [loss] * (int(epochs) - int(initial_epoch))}
            return history
        replayed = replay.replay_data(x, y, batch_size, epochs, initial_epoch)
        if replayed is not None:
            dataset, steps_per_epoch = replayed
            history = originals["fit"](self, dataset, epochs=epochs, verbose=verbose,
                                       callbacks=callbacks, validation_data=validation_data,
                                       initial_epoch=initial_epoch, shuffle=False,
                                       steps_per_epoch=steps_per_epoch, **kwargs)
        else:
            history = originals["fit"](self, x, y, batch_size=batch_size, epochs=epochs,
                                       verbose=verbose, callbacks=callbacks,
                                       validation_split=validation_split,
                                       validation_data=validation_data, shuffle=shuffle,
                                       class_weight=class_weight, sample_weight=sample_weight,
                                       initial_epoch=initial_epoch,
                                       steps_per_epoch=steps_per_epoch, **kwargs)
        replay.steps_done = int(self.optimizer.iterations.numpy())
        return history

    def train_on_batch(self, x, y=None, *args, **kwargs):
        replay.watch(self)
        if capped(self):  # as TFCOURSE_MAX_STEPS does: the loss, no update
            return originals["test_on_batch"](self, x, y, *args[:1], **{
                k: v for k, v in kwargs.items() if k in ("sample_weight", "return_dict")})
        result = originals["train_on_batch"](self, x, y, *args, **kwargs)
        replay.steps_done = int(self.optimizer.iterations.numpy())
        return result

    def evaluate(self, *args, **kwargs):
        result = originals["evaluate"](self, *args, **kwargs)
        replay.run.evaluations.append((replay.caller_line(), "evaluate", result))
        return result

    def predict(self, *args, **kwargs):
        result = originals["predict"](self, *args, **kwargs)
        replay.run.evaluations.append((replay.caller_line(), "predict", result))
        return result

    def test_on_batch(self, *args, **kwargs):
        result = originals["test_on_batch"](self, *args, **kwargs)
        replay.run.evaluations.append((replay.caller_line(), "evaluate", result))
        return result

    def predict_on_batch(self, *args, **kwargs):
        result = originals["predict_on_batch"](self, *args, **kwargs)
        replay.run.evaluations.append((replay.caller_line(), "predict", result))
        return result

    keras.Model.__init__ = model_init
    keras.Model.test_on_batch = test_on_batch
    keras.Model.predict_on_batch = predict_on_batch
    functional.Functional.__init__ = functional_init
    keras.Model.fit = fit
    keras.Model.train_on_batch = train_on_batch
    keras.Model.evaluate = evaluate
    keras.Model.predict = predict
    try:
        yield replay.run
    finally:
        keras.Model.__init__ = originals["model_init"]
        functional.Functional.__init__ = originals["functional_init"]
        keras.Model.fit = originals["fit"]
        keras.Model.train_on_batch = originals["train_on_batch"]
        keras.Model.evaluate = originals["evaluate"]
        keras.Model.predict = originals["predict"]
        keras.Model.test_on_batch = originals["test_on_batch"]
        keras.Model.predict_on_batch = originals["predict_on_batch"]
        replay.run.model_losses = replay.collect_losses()
        replay.run.losses = [loss for losses in replay.run.model_losses for loss in losses]
