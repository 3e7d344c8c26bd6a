"""The course's learning-rate decay rules as Keras ``LearningRateSchedule`` s (seed 003).

Seed 003 (Andrew Ng, course 2 week 2, "Learning rate decay"), with
1 epoch = 1 pass through the data and alpha_0 the initial learning rate::

    alpha = 1 / (1 + decay_rate * epoch_num) * alpha_0     InverseTimeEpochDecay
    alpha = 0.95 ** epoch_num * alpha_0                    ExponentialEpochDecay (any base)
    alpha = k / sqrt(epoch_num) * alpha_0                  InverseSqrtEpochDecay
    alpha = k / sqrt(t) * alpha_0    (t = mini-batch count) InverseSqrtStepDecay
    discrete staircase: halve every few epochs             StaircaseDecay
                        or one value per epoch range        PiecewiseConstantEpochDecay

The seed's table counts epochs from 1: alpha_0 = 0.2, decay_rate = 1 gives
0.1, 0.0667, 0.05, 0.04 for epochs 1-4 (the slide's table prints 0.67, 0.5
and 0.4 for epochs 2-4, each missing a zero after the point).

Seed 004 (AI School week 2, "Learning rate") writes one more rule, in updates
t rather than epochs::

    epsilon = epsilon_0 / (a t)                               InverseStepDecay

Keras calls a schedule with the optimizer's ``iterations``, which is 0 for
the first update (docs/conventions.md section 7), so here::

    epoch_num = floor(step / steps_per_epoch) + first_epoch     (first_epoch = 1 by default)
    t         = step + 1

``first_epoch=0`` counts epochs from 0, as Keras's own schedules and
``keras.callbacks.LearningRateScheduler`` do.
"""

from __future__ import annotations

import keras
from keras import ops

from tfcourse._validation import (
    check_int,
    check_non_negative,
    check_positive,
    check_range,
)

__all__ = [
    "ExponentialEpochDecay",
    "InverseSqrtEpochDecay",
    "InverseSqrtStepDecay",
    "InverseStepDecay",
    "InverseTimeEpochDecay",
    "PiecewiseConstantEpochDecay",
    "StaircaseDecay",
]


class _EpochSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Shared machinery: alpha_0, steps_per_epoch and the 1-based epoch number."""

    def __init__(self, initial_learning_rate, steps_per_epoch, first_epoch=1, name=None):
        self.initial_learning_rate = check_positive("initial_learning_rate", initial_learning_rate)
        self.steps_per_epoch = check_int(
            "steps_per_epoch", steps_per_epoch, low=1,
            hint="it is ceil(number of training examples / batch_size)")
        self.first_epoch = check_int("first_epoch", first_epoch, low=0, high=1)
        self.name = name

    def epoch_num(self, step):
        """floor(step / steps_per_epoch) + first_epoch, as a float32 tensor."""
        step = ops.cast(step, "float32")
        return ops.floor(step / self.steps_per_epoch) + self.first_epoch

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "steps_per_epoch": self.steps_per_epoch,
            "first_epoch": self.first_epoch,
            "name": self.name,
        }


@keras.saving.register_keras_serializable(package="tfcourse")
class InverseTimeEpochDecay(_EpochSchedule):
    """alpha = alpha_0 / (1 + decay_rate * epoch_num)   (seed 003).

    Keras mapping: ``keras.optimizers.schedules.InverseTimeDecay(
    initial_learning_rate, decay_steps=steps_per_epoch, decay_rate,
    staircase=True)`` evaluated at ``step + first_epoch * steps_per_epoch``
    (with ``first_epoch=0`` it is the same function of the step).

    Args:
        initial_learning_rate: alpha_0, > 0.
        decay_rate: >= 0 (0 keeps alpha_0).
        steps_per_epoch: optimizer steps per epoch, >= 1.
        first_epoch: number of the first epoch, 1 (seed 003's table, default) or 0 (Keras).

    Example:

    >>> schedule = InverseTimeEpochDecay(0.2, decay_rate=1.0, steps_per_epoch=100)
    >>> [round(float(schedule(s)), 4) for s in (0, 100, 200, 300)]
    [0.1, 0.0667, 0.05, 0.04]
    """

    def __init__(self, initial_learning_rate, decay_rate, steps_per_epoch, first_epoch=1,
                 name="InverseTimeEpochDecay"):
        super().__init__(initial_learning_rate, steps_per_epoch, first_epoch, name)
        self.decay_rate = check_non_negative("decay_rate", decay_rate)

    def __call__(self, step):
        return self.initial_learning_rate / (1.0 + self.decay_rate * self.epoch_num(step))

    def get_config(self):
        return {**super().get_config(), "decay_rate": self.decay_rate}


@keras.saving.register_keras_serializable(package="tfcourse")
class ExponentialEpochDecay(_EpochSchedule):
    """alpha = decay_base ** epoch_num * alpha_0   (seed 003: decay_base = 0.95).

    Keras mapping: ``keras.optimizers.schedules.ExponentialDecay(
    initial_learning_rate, decay_steps=steps_per_epoch, decay_rate=decay_base,
    staircase=True)`` at ``step + first_epoch * steps_per_epoch``.

    Args:
        initial_learning_rate: alpha_0, > 0.
        decay_base: the base, in (0, 1]. Defaults to ``0.95``.
        steps_per_epoch: optimizer steps per epoch, >= 1.
        first_epoch: 1 (default) or 0.
    """

    def __init__(self, initial_learning_rate, steps_per_epoch, decay_base=0.95, first_epoch=1,
                 name="ExponentialEpochDecay"):
        super().__init__(initial_learning_rate, steps_per_epoch, first_epoch, name)
        self.decay_base = check_range("decay_base", decay_base, 0.0, 1.0, low_open=True,
                                      hint="a base above 1 would grow the learning rate")

    def __call__(self, step):
        return self.initial_learning_rate * ops.power(self.decay_base, self.epoch_num(step))

    def get_config(self):
        return {**super().get_config(), "decay_base": self.decay_base}


@keras.saving.register_keras_serializable(package="tfcourse")
class InverseSqrtEpochDecay(_EpochSchedule):
    """alpha = k / sqrt(epoch_num) * alpha_0, epochs counted from 1   (seed 003).

    No Keras built-in has this form. The epoch count starts at 1 because
    k / sqrt(0) is undefined.

    Args:
        initial_learning_rate: alpha_0, > 0.
        steps_per_epoch: optimizer steps per epoch, >= 1.
        k: the constant, > 0. Defaults to ``1.0``.
    """

    def __init__(self, initial_learning_rate, steps_per_epoch, k=1.0,
                 name="InverseSqrtEpochDecay"):
        super().__init__(initial_learning_rate, steps_per_epoch, 1, name)
        self.k = check_positive("k", k)

    def __call__(self, step):
        return self.k * self.initial_learning_rate / ops.sqrt(self.epoch_num(step))

    def get_config(self):
        config = super().get_config()
        config.pop("first_epoch")
        return {**config, "k": self.k}


@keras.saving.register_keras_serializable(package="tfcourse")
class InverseSqrtStepDecay(keras.optimizers.schedules.LearningRateSchedule):
    """alpha = k / sqrt(t) * alpha_0, t = mini-batch count from 1   (seed 003).

    ``t = step + 1``: Keras's first update sees step 0 and is mini-batch 1.
    No Keras built-in has this form.

    Args:
        initial_learning_rate: alpha_0, > 0.
        k: the constant, > 0. Defaults to ``1.0``.
    """

    def __init__(self, initial_learning_rate, k=1.0, name="InverseSqrtStepDecay"):
        self.initial_learning_rate = check_positive("initial_learning_rate", initial_learning_rate)
        self.k = check_positive("k", k)
        self.name = name

    def __call__(self, step):
        t = ops.cast(step, "float32") + 1.0
        return self.k * self.initial_learning_rate / ops.sqrt(t)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "k": self.k,
                "name": self.name}


@keras.saving.register_keras_serializable(package="tfcourse")
class InverseStepDecay(keras.optimizers.schedules.LearningRateSchedule):
    """epsilon = epsilon_0 / (a t), t = update count from 1   (seed 004).

    Seed 004's "Learning rate" slide: the rate falls as 1/t, the schedule of
    the Robbins-Monro conditions (sum of rates infinite, sum of squares
    finite). ``t = step + 1`` because Keras's first update sees step 0; at
    t = 1 the rate is epsilon_0 / a, so ``a = 1`` starts at epsilon_0 and
    halves it by update 2. ``keras.optimizers.schedules.InverseTimeDecay(
    epsilon_0 / a, decay_steps=1, decay_rate=1)`` at ``step`` is the same
    function (epsilon_0 / a / (1 + step)).

    Args:
        initial_learning_rate: epsilon_0, > 0.
        a: the decay constant, > 0. Defaults to ``1.0``.

    Example:

    >>> [round(float(InverseStepDecay(0.1, a=2.0)(step)), 4) for step in (0, 1, 4)]
    [0.05, 0.025, 0.01]
    """

    def __init__(self, initial_learning_rate, a=1.0, name="InverseStepDecay"):
        self.initial_learning_rate = check_positive("initial_learning_rate", initial_learning_rate)
        self.a = check_positive("a", a)
        self.name = name

    def __call__(self, step):
        t = ops.cast(step, "float32") + 1.0
        return self.initial_learning_rate / (self.a * t)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "a": self.a,
                "name": self.name}


@keras.saving.register_keras_serializable(package="tfcourse")
class StaircaseDecay(_EpochSchedule):
    """Discrete staircase: alpha = alpha_0 * factor ** floor((epoch_num - 1) / epochs_per_drop).

    Seed 003: "after some time the learning rate is halved, and halved again
    every interval" (``factor=0.5``). Epochs 1..epochs_per_drop use alpha_0.

    Keras mapping: ``keras.optimizers.schedules.ExponentialDecay(
    initial_learning_rate, decay_steps=epochs_per_drop * steps_per_epoch,
    decay_rate=factor, staircase=True)``, the same function of the step.

    Args:
        initial_learning_rate: alpha_0, > 0.
        steps_per_epoch: optimizer steps per epoch, >= 1.
        epochs_per_drop: epochs between drops, >= 1. Defaults to ``1``.
        factor: multiplier at each drop, in (0, 1]. Defaults to ``0.5``.
    """

    def __init__(self, initial_learning_rate, steps_per_epoch, epochs_per_drop=1, factor=0.5,
                 name="StaircaseDecay"):
        super().__init__(initial_learning_rate, steps_per_epoch, 1, name)
        self.epochs_per_drop = check_int("epochs_per_drop", epochs_per_drop, low=1)
        self.factor = check_range("factor", factor, 0.0, 1.0, low_open=True)

    def __call__(self, step):
        drops = ops.floor((self.epoch_num(step) - 1.0) / self.epochs_per_drop)
        return self.initial_learning_rate * ops.power(self.factor, drops)

    def get_config(self):
        config = super().get_config()
        config.pop("first_epoch")
        return {**config, "epochs_per_drop": self.epochs_per_drop, "factor": self.factor}


@keras.saving.register_keras_serializable(package="tfcourse")
class PiecewiseConstantEpochDecay(keras.optimizers.schedules.LearningRateSchedule):
    """One learning rate per range of epochs, epochs counted from 1   (seed 003).

    ``values[0]`` for epochs 1..boundaries[0], ``values[i]`` for epochs
    boundaries[i-1]+1..boundaries[i], ``values[-1]`` after the last boundary.

    Keras mapping: ``keras.optimizers.schedules.PiecewiseConstantDecay(
    boundaries=[b * steps_per_epoch - 1 for b in boundaries], values)``
    (Keras gives a boundary step to the earlier piece).

    Args:
        boundaries: increasing epoch numbers, each >= 1.
        values: learning rates, one more than ``boundaries``, each > 0.
        steps_per_epoch: optimizer steps per epoch, >= 1.
    """

    def __init__(self, boundaries, values, steps_per_epoch, name="PiecewiseConstantEpochDecay"):
        self.boundaries = [check_int(f"boundaries[{i}]", b, low=1) for i, b in enumerate(boundaries)]
        for i in range(1, len(self.boundaries)):
            check_int(f"boundaries[{i}]", self.boundaries[i], low=self.boundaries[i - 1] + 1,
                      hint="boundaries must increase")
        self.values = [check_positive(f"values[{i}]", v) for i, v in enumerate(values)]
        check_int("len(values)", len(self.values), low=len(self.boundaries) + 1,
                  high=len(self.boundaries) + 1, hint="give one value more than boundaries")
        self.steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch, low=1)
        self.name = name

    def __call__(self, step):
        epoch_num = ops.floor(ops.cast(step, "float32") / self.steps_per_epoch) + 1.0
        lr = ops.convert_to_tensor(self.values[-1], "float32")
        # Walk from the last piece to the first; the earliest matching piece wins.
        for boundary, value in reversed(list(zip(self.boundaries, self.values))):
            lr = ops.where(epoch_num <= boundary, ops.cast(value, "float32"), lr)
        return lr

    def get_config(self):
        return {"boundaries": list(self.boundaries), "values": list(self.values),
                "steps_per_epoch": self.steps_per_epoch, "name": self.name}
