"""The learning rate each update actually used, and the optimizer's convention.

Seed 003 decays the learning rate per epoch (alpha0 / (1 + decay_rate *
epoch), 0.95**epoch * alpha0, ...). In Keras a schedule is a function of the
optimizer's step, and Keras evaluates it *before* counting the update: update
number k (k = 0, 1, ...) uses ``schedule(k)`` (keras/src/optimizers/
base_optimizer.py: ``apply`` reads ``self.learning_rate``, which is
``schedule(self.iterations)``, and increments ``iterations`` last). Logging
the value at the start of each batch therefore shows exactly the rate of
that batch's update, including changes made by a ``LearningRateScheduler``
callback at the start of an epoch.
"""

from __future__ import annotations

import os

import keras
import tensorflow as tf

from tfcourse._validation import check_int
from tfcourse.monitoring import _writers
from tfcourse.monitoring._base import check_log_dir, optimizer_step

__all__ = ["LearningRateLogger", "describe_optimizer"]


def describe_optimizer(optimizer) -> dict[str, str]:
    """Return ``{"class": ..., "convention": ...}`` for an optimizer.

    ``convention`` is the optimizer's ``convention`` attribute (tfcourse
    optimizers), ``"keras"`` for a Keras built-in, else ``"unknown"``. A
    ``LossScaleOptimizer`` is described by the optimizer it wraps.
    """
    inner = getattr(optimizer, "inner_optimizer", None)
    if inner is not None:
        optimizer = inner
    cls = type(optimizer)
    module = cls.__module__
    if module.startswith("tfcourse."):
        class_path = f"tfcourse.optimizers.{cls.__name__}"
    elif module.startswith("keras."):
        class_path = f"keras.optimizers.{cls.__name__}"
    else:
        class_path = f"{module}.{cls.__name__}"
    convention = getattr(optimizer, "convention", None)
    if convention is None:
        convention = "keras" if module.startswith("keras.") else "unknown"
    return {"class": class_path, "convention": str(convention)}


class LearningRateLogger(keras.callbacks.Callback):
    """Logs the learning rate of every update and the optimizer's convention.

    Writes into ``<log_dir>/train``:

    - ``optimizer/learning_rate``: at step k (the update count before the
      update, k = 0, 1, ...) the rate that update uses, i.e. ``schedule(k)``
      for a ``LearningRateSchedule``;
    - ``optimizer/class`` and ``optimizer/convention`` (text, once per
      ``fit``): e.g. ``tfcourse.optimizers.Adam`` and ``course``.

    Keras' own ``TensorBoard`` callback logs ``epoch_learning_rate`` once per
    epoch, after the epoch, so with a schedule it shows the rate of the
    *next* update only; this callback logs every update. With
    ``steps_per_execution`` > 1 Keras calls callbacks once per execution, so
    only the first update of each execution is logged.

    Args:
        log_dir: the run folder (``logs/<experiment>/<run>``).
        every_n_steps: log when the step is a multiple of this, an int >= 1.
            Defaults to `1`.

    Example:
        >>> schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 100, 0.95)
        >>> callback = LearningRateLogger("logs/decay/exponential")
        >>> model.fit(x, y, callbacks=[callback])  # doctest: +SKIP

    References:
        Seed 003 (learning-rate decay).
    """

    subfolder = "train"

    def __init__(self, log_dir, every_n_steps: int = 1):
        super().__init__()
        self.log_dir = check_log_dir(log_dir)
        self.every_n_steps = check_int("every_n_steps", every_n_steps, low=1)
        self._writer = None

    @property
    def folder(self) -> str:
        """The folder the event file is written to."""
        return os.path.join(self.log_dir, self.subfolder)

    def on_train_begin(self, logs=None):
        self._writer = _writers.acquire(self.folder)
        description = describe_optimizer(self.model.optimizer)
        with self._writer.as_default(step=optimizer_step(self.model)):
            tf.summary.text("optimizer/class", description["class"])
            tf.summary.text("optimizer/convention", description["convention"])

    def on_train_batch_begin(self, batch, logs=None):
        step = optimizer_step(self.model)
        if step % self.every_n_steps:
            return
        learning_rate = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        with self._writer.as_default(step=step):
            tf.summary.scalar("optimizer/learning_rate", learning_rate)

    def on_train_end(self, logs=None):
        _writers.release(self.folder)
        self._writer = None
