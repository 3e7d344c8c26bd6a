"""A KerasTuner HyperModel over the course's MLP and CNN choices (seed 000's homework).

``CourseHyperModel.build(hp)`` turns one point of a :class:`SearchSpace`
into ``tfcourse.models.MLPSpec`` (depth x width, activation, initializer,
batch norm, dropout) or, for ``model = "cnn"``, ``tfcourse.models.ConvSpec``
(conv blocks of filters * 2**(i-1) filters, kernel size, stride, padding,
max pooling, conv dropout, then a dense head of ``num_layers`` x ``units``),
builds it with ``tfcourse.models.build_model`` and
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

__all__ = ["CourseHyperModel", "count_parameters", "epoch_dataset", "evaluation_dataset",
           "build_training_state", "make_optimizer", "make_schedule", "steps_per_execution"]

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


def count_parameters(spec: models.MLPSpec | models.ConvSpec) -> int:
    """Trainable parameters of ``spec``'s model, computed without building it.

    A ``ConvSpec``: its :attr:`~tfcourse.models.ConvSpec.num_parameters` less
    the statistics batch norm keeps (4 vectors and a counter per BN layer).
    """
    if isinstance(spec, models.ConvSpec):
        convolutions = tuple(f for f in spec.filters for _ in range(spec.convs_per_block))
        normalized = (*convolutions, *spec.dense_sizes) if spec.batch_norm else ()
        return spec.num_parameters - sum(4 * width + 1 for width in normalized)
    width = spec.input_size
    total = 0
    pieces = spec.num_pieces if spec.activation == "maxout" else 1
    for units in spec.hidden_sizes:
        total += (width + 1) * units * pieces
        if spec.batch_norm:
            total += 2 * units
        width = units
    return total + (width + 1) * spec.num_classes


STEPS_PER_EXECUTION = 50
"""Training steps per ``tf.function`` call at most, for trials of many steps.

A call costs a few hundred microseconds on a CPU, a large share of a small
MLP's step. But Keras runs more than one step per call in a ``tf.while_loop``
whose body it traces twice (once to learn the shapes of the step's outputs):
about 0.2 s more per trial on 2 CPU cores. That is paid back only past about
:data:`MANY_STEPS` steps, so shorter trials run one step per call.
"""

MANY_STEPS = 1000
"""Total steps of a trial from which several steps per call pay for their second trace."""


def steps_per_execution(steps_per_epoch: int, epochs: int = 1,
                        requested: int = STEPS_PER_EXECUTION) -> int:
    """Steps per call for a trial: 1 under :data:`MANY_STEPS` steps in all, else the
    largest divisor of ``steps_per_epoch`` that is at most ``requested``.

    Keras runs whole executions: a remainder would take the next epoch's first
    mini-batches into this epoch and move every epoch end. The value changes
    no result (the same updates in the same order).
    """
    if steps_per_epoch * epochs < MANY_STEPS:
        return 1
    requested = max(1, min(int(requested), int(steps_per_epoch)))
    return max(d for d in range(1, requested + 1) if steps_per_epoch % d == 0)


class CourseHyperModel(keras_tuner.HyperModel):
    """The course's MLP and CNN classifiers as a KerasTuner HyperModel.

    Args:
        space: a :class:`SearchSpace`. Defaults to :func:`course_space`.
        input_size: inputs per example (784 for MNIST). >= 1.
        image_shape: ``(height, width, channels)`` of the images a cnn
            reshapes the ``input_size`` inputs to. Defaults to a square single
            channel (28 x 28 x 1 for 784 inputs).
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
                 image_shape: tuple | None = None, num_classes: int = 10,
                 num_train: int = 60000, seed: int = 0, max_params: int = 20_000_000,
                 verbose: int = 0):
        super().__init__(name="course_mlp", tunable=True)
        self.space = course_space() if space is None else space
        self.input_size = check_int("input_size", input_size, 1)
        side = math.isqrt(self.input_size)
        self.image_shape = (tuple(image_shape) if image_shape is not None
                            else (side, side, 1) if side * side == self.input_size else None)
        self.num_classes = check_int("num_classes", num_classes, 2)
        self.num_train = check_int("num_train", num_train, 1)
        self.seed = check_int("seed", seed, 0)
        self.max_params = check_int("max_params", max_params, 1)
        self.verbose = verbose

    def declare_hyperparameters(self, hp):
        self.space.declare(hp)

    def spec(self, values: dict[str, Any]) -> models.MLPSpec | models.ConvSpec:
        """The ``MLPSpec`` (or ``ConvSpec`` for ``model = "cnn"``) of one point of the space."""
        if values.get("model") == "cnn":
            if self.image_shape is None:
                raise ValueError(
                    f"A cnn needs images: `input_size`={self.input_size} is not a square "
                    f"number of pixels; give image_shape=(height, width, channels)")
            return models.ConvSpec(
                input_shape=self.image_shape,
                filters=tuple(values["filters"] * 2 ** i for i in range(values["conv_blocks"])),
                convs_per_block=values["convs_per_block"],
                kernel_size=values["kernel_size"],
                strides=values["strides"],
                padding=values["padding"],
                pool=values["pool"],
                random_flip=values["random_flip"],
                random_shift=values["random_shift"],
                batch_norm=values["batch_norm"],
                conv_dropout_rate=values["conv_dropout"] or None,
                dense_sizes=(values["units"],) * values["num_layers"],
                dropout_rate=values["dropout"] or None,
                num_classes=self.num_classes,
                activation=values["activation"],
                kernel_initializer=values["initializer"],
                weight_decay=values.get("weight_decay", 0.0),
                name="course_cnn",
            )
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
            layers = (f"filters {spec.filters}, dense sizes {spec.dense_sizes}"
                      if isinstance(spec, models.ConvSpec) else f"hidden sizes {spec.hidden_sizes}")
            raise keras_tuner.errors.FailedTrialError(
                f"the model has {size} trainable parameters, over max_params={self.max_params} "
                f"({layers}, activation {spec.activation!r})")
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
            steps_per_execution=steps_per_execution(steps_per_epoch, values["epochs"]),
        )
        build_training_state(model, self.input_size)
        return model

    def fit(self, hp, model, x=None, y=None, *, epochs=None, initial_epoch=0, **kwargs):
        """Train ``model`` for epochs ``initial_epoch`` .. ``epochs - 1``; return the History.

        ``epochs`` and ``batch_size`` default to the point's values (a batch
        larger than the data is the whole data, as in Keras). Arrays ``x, y``
        are cut into the mini-batches of :class:`tfcourse.training.MiniBatches`
        (``shuffle=False`` keeps their order), served by :func:`epoch_dataset`;
        arrays in ``validation_data`` by :func:`evaluation_dataset`; anything
        else (a dataset) goes to ``model.fit`` as it is. With
        ``initial_epoch >= epochs`` nothing is trained.
        """
        values = self.space.declare(hp)
        epochs = values["epochs"] if epochs is None else epochs  # Hyperband passes its own
        kwargs.setdefault("verbose", self.verbose)
        batch_size = kwargs.pop("batch_size", None) or values["batch_size"]
        shuffle = kwargs.pop("shuffle", True)
        validation = kwargs.get("validation_data")
        if isinstance(validation, (tuple, list)) and len(validation) == 2:
            kwargs["validation_data"] = evaluation_dataset(*validation)
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
        return model.fit(epoch_dataset(batches, initial_epoch, epochs), epochs=epochs,
                         initial_epoch=initial_epoch, steps_per_epoch=len(batches),
                         shuffle=False, **kwargs)


def build_training_state(model, input_size: int) -> None:
    """Create the optimizer's slots and the loss and metric variables now, outside ``fit``.

    Keras 3 on TensorFlow creates them while it traces the training step, and
    a ``tf.function`` whose first trace creates variables is traced a second
    time: about 0.2 s per trial for a small MLP on 2 CPU cores, a tenth of a
    small trial (``benchmarks/tuner.py``). Built here (the loss and metrics on
    one example of zeros, ``training=False``: no weight, statistic or seed
    changes), the step is traced once. ``fit`` resets the metrics first.
    """
    model.optimizer.build(model.trainable_variables)
    x = np.zeros((1, input_size), np.float32)
    y = np.zeros((1,), np.int64)
    y_pred = model(x, training=False)
    model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
    model.compute_metrics(x, y, y_pred, sample_weight=None)


def epoch_dataset(batches: MiniBatches, start: int, stop: int):
    """The mini-batches of epochs ``start`` .. ``stop - 1`` as one ``tf.data.Dataset``.

    The same batches, in the same order, as ``batches.epochs(start, stop)``
    (each epoch's permutation from ``(seed, epoch)``, its last mini-batch
    holding the ``m mod b`` examples left over), gathered by index from the
    arrays in memory. Its batch dimension is unknown (``None``), so Keras
    traces the training step once per trial: a Python generator of NumPy
    batches made it trace twice (a second time for the short last
    mini-batch) and cost a Python call per step (``benchmarks/tuner.py``).
    """
    import tensorflow as tf  # noqa: PLC0415

    orders = np.stack([batches.order(epoch) for epoch in range(start, stop)]).astype(np.int64)
    x, y = tf.constant(batches.x), tf.constant(batches.y)
    size = batches.batch_size
    dataset = tf.data.Dataset.from_tensor_slices(orders).flat_map(
        lambda order: tf.data.Dataset.from_tensor_slices(order).batch(size))
    return dataset.map(lambda rows: (tf.gather(x, rows), tf.gather(y, rows))).prefetch(
        tf.data.AUTOTUNE)


EVALUATION_BATCH_SIZE = 1024
"""Examples per step when a trial's validation set is evaluated (the metrics are sums:
the batch size changes nothing but the float32 rounding of the loss's last bits)."""


def evaluation_dataset(x, y, batch_size: int = EVALUATION_BATCH_SIZE):
    """``(x, y)`` in batches of ``batch_size`` with an unknown batch dimension (one trace)."""
    import tensorflow as tf  # noqa: PLC0415

    return tf.data.Dataset.from_tensor_slices((np.asarray(x), np.asarray(y))).batch(
        batch_size).prefetch(tf.data.AUTOTUNE)
