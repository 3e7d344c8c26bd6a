"""A KerasTuner HyperModel over the course's MLP choices (seed 000's homework).

``CourseHyperModel.build(hp)`` turns one point of a :class:`SearchSpace`
into ``tfcourse.models.MLPSpec`` (depth x width, activation, initializer,
batch norm, dropout), builds it with ``tfcourse.models.build_model`` and
compiles it with a tfcourse optimizer whose learning rate follows a seed 003
decay rule. ``fit(hp, model, x, y, ...)`` reads ``batch_size`` and ``epochs``
from the same point (KerasTuner's way of tuning them, keras-tuner PR #622);
Hyperband's ``epochs`` keyword wins over the hyperparameter. The
mini-batches of epoch e are those of :class:`tfcourse.training.MiniBatches`
(seed 003: ceil(m / b) updates per epoch, reshuffled from ``(seed, e)``),
so a trial continued at ``initial_epoch`` after a kill sees the batches an
uninterrupted trial sees (Keras' own ``shuffle=True`` draws each epoch's
order from a generator that advances over the epochs, which a new process
cannot replay).

A point that cannot be built (a spec the model builder refuses, a model over
``max_params``) raises ``keras_tuner.errors.FailedTrialError`` with the
reason: that trial fails, the search goes on.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import keras_tuner
import numpy as np

from tfcourse import models, optimizers, schedules
from tfcourse._validation import check_int
from tfcourse.training import MiniBatches
from tfcourse.tuning.space import SearchSpace, course_space

__all__ = ["CourseHyperModel", "count_parameters", "make_schedule", "make_optimizer"]

# Seed 003's examples: alpha = alpha_0 / (1 + 1 * epoch), 0.95 ** epoch * alpha_0,
# k / sqrt(epoch) * alpha_0 and k / sqrt(t) * alpha_0 with k = 1, and a staircase that
# halves every few epochs.
_SCHEDULE_SETTINGS = {
    "inverse_time": {"decay_rate": 1.0},
    "exponential": {"decay_base": 0.95},
    "inverse_sqrt_epoch": {"k": 1.0},
    "staircase": {"epochs_per_drop": 5, "factor": 0.5},
}


def make_schedule(name: str, learning_rate: float, steps_per_epoch: int):
    """The learning rate (a float for ``"constant"``) or a seed 003 schedule.

    The decay constants are seed 003's examples (``_SCHEDULE_SETTINGS``);
    epochs count from 1 as in the seed's table.
    """
    if name == "constant":
        return float(learning_rate)
    if name == "inverse_sqrt_step":  # per mini-batch: no steps_per_epoch
        return schedules.InverseSqrtStepDecay(float(learning_rate), k=1.0)
    classes = {
        "inverse_time": schedules.InverseTimeEpochDecay,
        "exponential": schedules.ExponentialEpochDecay,
        "inverse_sqrt_epoch": schedules.InverseSqrtEpochDecay,
        "staircase": schedules.StaircaseDecay,
    }
    return classes[name](initial_learning_rate=float(learning_rate),
                         steps_per_epoch=steps_per_epoch, **_SCHEDULE_SETTINGS[name])


def make_optimizer(name: str, learning_rate: Any, convention: str):
    """A tfcourse optimizer under ``convention``.

    Where the convention's source has no default for a hyperparameter
    (TF1's MomentumOptimizer needs ``momentum``, contrib's AdamW needs
    ``weight_decay``), the course convention's default is used, so that every
    (optimizer, convention) pair of the space can be built.
    """
    cls = optimizers.ALL[name]
    row = cls.CONVENTIONS[convention]
    course = cls.CONVENTIONS["course"].defaults
    required = {key: course[key] for key, value in row.defaults.items()
                if value is optimizers.base.REQUIRED and key != "learning_rate"}
    return cls(learning_rate, convention=convention, **required)


def count_parameters(spec: models.MLPSpec) -> int:
    """Trainable parameters of ``spec``'s model, computed without building it."""
    width = spec.input_size
    total = 0
    pieces = spec.num_pieces if spec.activation == "maxout" else 1
    for units in spec.hidden_sizes:
        total += (width + 1) * units * pieces
        if spec.batch_norm:
            total += 2 * units
        width = units
    return total + (width + 1) * spec.num_classes


class CourseHyperModel(keras_tuner.HyperModel):
    """The course's MLP classifier as a KerasTuner HyperModel.

    Args:
        space: a :class:`SearchSpace`. Defaults to :func:`course_space`.
        input_size: inputs per example (784 for MNIST). >= 1.
        num_classes: output classes. >= 2.
        num_train: training examples per epoch (for the schedules'
            ``steps_per_epoch``). >= 1.
        seed: seed of every model's initializers and dropout, so that a
            configuration gives the same model in every trial. Defaults to 0.
        max_params: a model with more trainable parameters fails its trial.
            Defaults to 20 million.
        verbose: ``model.fit``'s verbosity. Defaults to 0.

    Example:

    >>> hypermodel = CourseHyperModel(num_train=1000)
    >>> model = hypermodel.build(keras_tuner.HyperParameters())
    >>> model.count_params() > 0
    True
    """

    def __init__(self, space: SearchSpace | None = None, *, input_size: int = 784,
                 num_classes: int = 10, num_train: int = 60000, seed: int = 0,
                 max_params: int = 20_000_000, verbose: int = 0):
        super().__init__(name="course_mlp", tunable=True)
        self.space = course_space() if space is None else space
        self.input_size = check_int("input_size", input_size, 1)
        self.num_classes = check_int("num_classes", num_classes, 2)
        self.num_train = check_int("num_train", num_train, 1)
        self.seed = check_int("seed", seed, 0)
        self.max_params = check_int("max_params", max_params, 1)
        self.verbose = verbose

    def declare_hyperparameters(self, hp):
        self.space.declare(hp)

    def spec(self, values: dict[str, Any]) -> models.MLPSpec:
        """The ``MLPSpec`` of one point of the space."""
        return models.MLPSpec(
            input_size=self.input_size,
            hidden_sizes=(values["units"],) * values["num_layers"],
            num_classes=self.num_classes,
            activation=values["activation"],
            kernel_initializer=values["initializer"],
            batch_norm=values["batch_norm"],
            dropout_rate=values["dropout"] or None,
            num_pieces=values.get("maxout_pieces", 2),
            weight_decay=values.get("weight_decay", 0.0),
            name="course_mlp",
        )

    def build(self, hp):
        values = self.space.declare(hp)
        try:
            spec = self.spec(values)
        except (TypeError, ValueError) as error:
            raise keras_tuner.errors.FailedTrialError(
                f"cannot build this configuration: {error}") from error
        size = count_parameters(spec)
        if size > self.max_params:
            raise keras_tuner.errors.FailedTrialError(
                f"the model has {size} trainable parameters, over max_params={self.max_params} "
                f"(hidden sizes {spec.hidden_sizes}, activation {spec.activation!r})")
        keras.utils.set_random_seed(self.seed)
        try:
            model = models.build_model(spec, seed=self.seed)
            steps_per_epoch = math.ceil(self.num_train / values["batch_size"])
            learning_rate = make_schedule(values["schedule"], values["learning_rate"],
                                          steps_per_epoch)
            optimizer = make_optimizer(values["optimizer"], learning_rate, values["convention"])
        except (TypeError, ValueError) as error:
            raise keras_tuner.errors.FailedTrialError(
                f"cannot build this configuration: {error}") from error
        model.compile(
            optimizer=optimizer,
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        return model

    def fit(self, hp, model, x=None, y=None, *, epochs=None, initial_epoch=0, **kwargs):
        """Train ``model`` for epochs ``initial_epoch`` .. ``epochs - 1``; return the History.

        ``epochs`` and ``batch_size`` default to the point's values (a batch
        larger than the data is the whole data, as in Keras). Arrays ``x, y``
        are cut into :class:`tfcourse.training.MiniBatches` (``shuffle=False``
        keeps their order); anything else (a dataset) goes to ``model.fit``
        as it is. With ``initial_epoch >= epochs`` nothing is trained.
        """
        values = self.space.declare(hp)
        epochs = values["epochs"] if epochs is None else epochs  # Hyperband passes its own
        kwargs.setdefault("verbose", self.verbose)
        batch_size = kwargs.pop("batch_size", None) or values["batch_size"]
        shuffle = kwargs.pop("shuffle", True)
        if y is None:
            return model.fit(x, epochs=epochs, initial_epoch=initial_epoch, **kwargs)
        x, y = np.asarray(x), np.asarray(y)
        batches = MiniBatches(x, y, min(batch_size, len(x)), shuffle=bool(shuffle),
                              seed=self.seed)
        if initial_epoch >= epochs:
            # A continued trial with no epoch left: its callbacks still begin and end
            # training (TensorBoard's HParams session), as in an uninterrupted trial.
            callbacks = keras.callbacks.CallbackList(kwargs.get("callbacks"), model=model)
            callbacks.on_train_begin()
            callbacks.on_train_end()
            history = keras.callbacks.History()
            history.set_model(model)
            return history
        return model.fit(batches.epochs(initial_epoch, epochs), epochs=epochs,
                         initial_epoch=initial_epoch, steps_per_epoch=len(batches),
                         shuffle=False, **kwargs)

