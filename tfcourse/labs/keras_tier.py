"""The Keras version of a lab: the porter's model, tfcourse optimizers, ``model.fit``.

The model is the lab program's port (:func:`build_keras_model`: what
``tfcourse port legacy_tf1/<lab>.py`` writes, built from the same layer
code), compiled with the lab's optimizer under TF1's rule and the programs'
loss, and trained by :func:`fit_lab` on the legacy run's mini-batches::

    model = build_keras_model(lab)          # L1, L2, hypothesis: TF1Dense(256, "relu")...
    model.compile(optimizer=tfcourse.optimizers.Adam(0.001, convention="tf1"),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(train_batches, epochs=15, steps_per_epoch=550)

``CategoricalCrossentropy(from_logits=True)`` calls
``tf.nn.softmax_cross_entropy_with_logits`` and averages over the batch
("sum_over_batch_size"), which is the programs' ``tf.reduce_mean(tf.nn.
softmax_cross_entropy_with_logits(...))``.

Per-step losses. In Keras 3, ``logs["loss"]`` at ``on_train_batch_end`` is
the running mean over the epoch, and with ``steps_per_execution > 1`` the
callback sees only every k-th step. :class:`StepLossModel` therefore records
inside ``train_step``: its ``compute_loss`` writes each training step's loss
into a float32 buffer at index ``optimizer.iterations`` (the number of updates
before this one), so every step is kept whatever ``steps_per_execution`` and
``jit_compile`` are. Evaluation (``training=False``) is not recorded.

Bias addition. Keras' ``Dense`` adds its bias with ``tf.nn.bias_add``, the
programs with ``tf.matmul(X, W) + b`` (``AddV2``): the port writes
:class:`~tfcourse.layers.TF1Dense` there (see its module for why the bias
gradient's summation order matters); ``dense="keras"`` builds Keras' ``Dense``
instead, and ``tfcourse compare --keras-dense keras`` shows the gap.

The fit settings live in one place, :data:`FIT_DEFAULTS`.
"""

from __future__ import annotations

import time
from typing import Any, Sequence

import keras
import numpy as np
from keras import ops

from tfcourse.labs.registry import Lab
from tfcourse.layers.dense import TF1Dense

__all__ = ["CONTINUABLE_SETTINGS", "FIT_DEFAULTS", "GATHER_BYTES", "LabAccuracy", "ProgressLogger",
           "StepLossLogger", "StepLossModel", "TestAccuracy", "build_keras_model", "fit_lab",
           "plain_model", "replay_dataset", "steps_per_execution_for"]

FIT_DEFAULTS: dict[str, Any] = {
    "steps_per_execution": 50,
    "jit_compile": False,
    "prefetch": True,
}
"""How the Keras tier runs ``model.fit`` (one place; measured by ``python -m benchmarks labs``).

``steps_per_execution`` and ``jit_compile`` go to ``model.compile``;
``prefetch`` adds ``Dataset.prefetch(AUTOTUNE)`` to the replayed batches.
Per-step losses stay exact for any value (see :class:`StepLossModel`).

``steps_per_execution = 50``: one ``tf.function`` call runs up to 50 training
steps, so the fixed cost of a call (a few hundred microseconds on a CPU, a
third of a step at batch 100) is paid once per 50 steps; on 2 CPU cores the
Keras tier goes from about 39,000 to about 66,000 samples/s at batch 100
(benchmarks/README.md). :func:`fit_lab` uses the largest divisor of the
steps per epoch that is at most this value (:func:`steps_per_execution_for`):
Keras runs whole executions, so a remainder would consume batches of the
next epoch and shift the replay. The value changes no result: the losses
are the same bits for every value.

``jit_compile`` stays off: on the CPU, XLA was not faster here (about 49,000
vs 51,000 samples/s at ``steps_per_execution=50``) and it fuses the float32
matmuls and reductions differently from TF1's kernels (losses differ in the
last bits from step 1), while ``tfcourse compare`` states its agreement for
the TF1 kernels.
"""


GATHER_BYTES = 256 * 2**20
"""Most bytes of mini-batches :func:`replay_dataset` gathers in one op (256 MiB)."""


def steps_per_execution_for(steps_per_epoch: int, requested: int) -> int:
    """The largest divisor of ``steps_per_epoch`` that is at most ``requested`` (at least 1)."""
    requested = max(1, min(int(requested), int(steps_per_epoch)))
    return max(d for d in range(1, requested + 1) if steps_per_epoch % d == 0)


DENSE_LAYERS = {"keras": keras.layers.Dense, "tf1": TF1Dense}
"""``dense=`` choices: Keras' Dense (BiasAdd) or :class:`TF1Dense` (AddV2)."""


@keras.saving.register_keras_serializable(package="tfcourse")
class StepLossModel(keras.Model):
    """A functional model that also keeps the loss of every training step.

    Build it like a functional model (``StepLossModel(inputs, outputs,
    num_steps=...)``); ``step_losses`` (a non-trainable float32 variable of
    ``num_steps`` entries) holds the loss of update k at index k after
    ``fit``. Steps past ``num_steps`` overwrite the last entry. Saved
    ``.keras`` files of it load with :func:`tfcourse.load_model`;
    :func:`plain_model` gives the same network as a plain functional model.
    """

    def __init__(self, *args, num_steps: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.step_losses = keras.Variable(np.zeros(max(int(num_steps), 1), np.float32),
                                          trainable=False, name="step_losses")

    def get_config(self):
        return {**super().get_config(), "num_steps": int(self.step_losses.shape[0])}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        num_steps = config.pop("num_steps", 1)
        functional = keras.Model.from_config(config, custom_objects=custom_objects)
        return cls(functional.inputs, functional.outputs, name=functional.name,
                   num_steps=num_steps)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        if training:
            last = self.step_losses.shape[0] - 1
            index = ops.minimum(ops.cast(self.optimizer.iterations, "int32"), last)
            value = ops.reshape(ops.cast(loss, "float32"), (1,))
            if keras.backend.backend() == "tensorflow":
                # one element written in place; slice_update rewrites the whole
                # buffer every step (69 us of op time per step at batch 100 on 2 CPU
                # cores: benchmarks/keras_tier_profile.py)
                import tensorflow as tf  # noqa: PLC0415

                tf.raw_ops.ResourceScatterUpdate(resource=self.step_losses.handle,
                                                 indices=ops.reshape(index, (1,)), updates=value)
            else:
                self.step_losses.assign(ops.slice_update(self.step_losses,
                                                         ops.reshape(index, (1,)), value))
        return loss


@keras.saving.register_keras_serializable(package="tfcourse")
class LabAccuracy(keras.metrics.MeanMetricWrapper):
    """``keras.metrics.CategoricalAccuracy`` with TensorFlow's own argmax (one-hot labels).

    The fraction of examples whose largest logit is at the label's class.
    Keras 3's ``ops.argmax`` first turns every ``-0.0`` into ``-tiny`` (its
    fix for flush-to-zero, jax-ml/jax#24280): six more ops over the logits
    per step, about 50 us of op time per step at batch 100 and 390 us at
    batch 1024 on 2 CPU cores (2-3% of the step's op time;
    ``benchmarks/keras_tier_profile.py``). The two differ only on a row whose
    largest value ties between ``-0.0`` and ``0.0``, which one-hot labels
    never hold and float32 logits of a trained network practically never
    do. On other backends this is Keras' accuracy.
    """

    def __init__(self, name: str = "accuracy", dtype=None):
        super().__init__(_argmax_matches, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


def _argmax_matches(y_true, y_pred):
    if keras.backend.backend() != "tensorflow":
        return keras.metrics.categorical_accuracy(y_true, y_pred)
    import tensorflow as tf  # noqa: PLC0415

    matches = tf.equal(tf.argmax(y_true, axis=-1), tf.argmax(y_pred, axis=-1))
    return tf.cast(matches, y_pred.dtype)


class TestAccuracy(keras.callbacks.Callback):
    """Test-set accuracy at each epoch end (the programs' closing accuracy lines).

    Appends to ``history`` and adds ``test_accuracy`` to the epoch logs (so
    Keras' TensorBoard callback, placed after this one, writes it).
    """

    __test__ = False  # not a pytest class

    def __init__(self, x, y, batch_size: int = 10000):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.history: list[float] = []

    def on_epoch_end(self, epoch, logs=None):
        correct = 0
        for start in range(0, len(self.x), self.batch_size):
            logits = self.model(self.x[start:start + self.batch_size], training=False)
            correct += int(np.sum(np.argmax(ops.convert_to_numpy(logits), 1)
                                  == np.argmax(self.y[start:start + self.batch_size], 1)))
        accuracy = correct / len(self.x)
        self.history.append(accuracy)
        if logs is not None:
            logs["test_accuracy"] = accuracy


class ProgressLogger(keras.callbacks.Callback):
    """Feeds a :class:`tfcourse.labs.progress.TierProgress` from ``model.fit``.

    Steps come from ``optimizer.iterations`` (Keras calls batch hooks once
    per ``steps_per_execution`` steps), the epoch line from the epoch logs
    (``loss``, ``test_accuracy``) and ``timer`` (an :class:`EpochTimer`
    placed before this callback).
    """

    def __init__(self, progress, timer=None):
        super().__init__()
        self.progress, self.timer = progress, timer
        self._first = 0

    def on_train_begin(self, logs=None):
        self._first = int(self.model.optimizer.iterations.numpy())

    def on_train_batch_end(self, batch, logs=None):
        cost = (logs or {}).get("loss")
        self.progress.step(int(self.model.optimizer.iterations.numpy()) - self._first,
                           None if cost is None else float(cost))

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        seconds = self.timer.seconds[-1] if self.timer is not None and self.timer.seconds else None
        cost = logs.get("loss")
        self.progress.epoch_end(epoch, None if cost is None else float(cost), seconds,
                                logs.get("test_accuracy"))

    def on_train_end(self, logs=None):
        self.progress.close()


class StepLossLogger(keras.callbacks.Callback):
    """``step_loss`` of each training step into ``<log_dir>/train`` at every epoch end.

    Reads the epoch's entries of :attr:`StepLossModel.step_losses` (step k is
    update k, counted from 0), so the curve grows epoch by epoch while
    training runs, and a run killed mid-way keeps the steps of its finished
    epochs.
    """

    def __init__(self, log_dir, steps_per_epoch: int):
        super().__init__()
        self.folder = f"{log_dir}/train"
        self.steps_per_epoch = int(steps_per_epoch)

    def on_epoch_end(self, epoch, logs=None):
        import tensorflow as tf  # noqa: PLC0415

        from tfcourse.monitoring import _writers  # noqa: PLC0415

        losses = self.model.step_losses.numpy()
        first = epoch * self.steps_per_epoch
        writer = _writers.acquire(self.folder)
        try:
            with writer.as_default():
                for step in range(first, min(first + self.steps_per_epoch, len(losses))):
                    tf.summary.scalar("step_loss", float(losses[step]), step=step)
        finally:
            _writers.release(self.folder)


class EpochTimer(keras.callbacks.Callback):
    """Seconds of each epoch (training only, before the epoch-end callbacks)."""

    def __init__(self):
        super().__init__()
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._last = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(getattr(self, "_last", time.perf_counter()) - self._start)


def build_keras_model(lab: Lab, num_steps: int = 1, seed: int | None = 0,
                      dense: str = "keras") -> StepLossModel:
    """The lab's network as :func:`tfcourse port` writes it, as a :class:`StepLossModel`.

    The lab's TF1 program is ported (:func:`ported_lab`, once per process) and
    its model is built from the port's own layer code
    (:func:`tfcourse.port.build_models`): the layers a student reads in the
    ported program (``L1``, ``L2``, ``hypothesis``...), nothing written by hand
    per lab. The lab's sizes are checked against free memory first, before
    anything is built. ``seed`` draws the initial weights with each layer's
    own initializer (seeded ``seed + k`` for the k-th weight); ``dense`` picks
    ``TF1Dense`` (``"tf1"``, TF1's bias op) or Keras' ``Dense`` (``"keras"``)
    where the program wrote ``tf.matmul(X, W) + b``.
    """
    from tfcourse._validation import check_choice  # noqa: PLC0415
    from tfcourse.faults import check_memory  # noqa: PLC0415
    from tfcourse.port import build_models  # noqa: PLC0415

    check_choice("dense", dense, DENSE_LAYERS)
    # refused from the sizes before any weight exists, as build_model does
    check_memory(batch_norm_lab_parameters(lab) if lab.batch_norm else lab.spec().num_parameters,
                 optimizer_slots=0)
    built = build_models(ported_lab(lab), dense=dense)[0].model
    if seed is not None:
        _draw_weights(built, seed)
    # one tensor each, not lists of one: Keras warns on every call with a plain
    # tensor to a model whose inputs are a list
    (inputs,), (outputs,) = built.inputs, built.outputs
    return StepLossModel(inputs, outputs, num_steps=num_steps, name=lab.name)


_PORTED: dict = {}


def ported_lab(lab: Lab):
    """The :class:`tfcourse.port.PortResult` of the lab's program (ported once per process).

    The program runs on a small synthetic split while it is ported: the
    model it builds does not depend on the data.
    """
    from tfcourse.labs.runs import _legacy_source  # noqa: PLC0415
    from tfcourse.port import port  # noqa: PLC0415
    from tfcourse.port.capture import capture  # noqa: PLC0415

    key = (lab.name, lab.batch_size)
    if key not in _PORTED:
        captured = capture(lab.program, source=_legacy_source(lab, 1), dataset="synthetic",
                           max_examples=2 * lab.batch_size, real_steps=1)
        _PORTED[key] = port(lab.program, capture=captured)
    return _PORTED[key]


def _draw_weights(model: keras.Model, seed: int) -> None:
    """Draw every weight again with its layer's initializer, seeded ``seed + k``, and start the
    k-th dropout layer's mask stream at seed ``seed + 1000 + k`` (the same run in any process)."""
    dropout = 0
    for layer in model.layers:
        generator = getattr(layer, "seed_generator", None)
        if generator is not None:
            generator.state.assign(np.array([seed + 1000 + dropout, 0],
                                            dtype=generator.state.dtype))
            dropout += 1
    k = 0
    for layer in model.layers:
        for attribute in ("kernel", "bias", "gamma", "beta"):
            weight = getattr(layer, attribute, None)
            initializer = getattr(layer, f"{attribute}_initializer", None)
            if weight is None or initializer is None:
                continue
            config = initializer.get_config()
            if "seed" in config:
                initializer = type(initializer).from_config({**config, "seed": seed + k})
            weight.assign(initializer(tuple(weight.shape), dtype=weight.dtype))
            k += 1


def plain_model(model: StepLossModel) -> keras.Model:
    """The trained network of ``model`` as a plain functional Keras model (the same layers).

    Compiled like the lab (its optimizer with its state, the programs' loss,
    Keras' accuracy), so a saved copy can be evaluated or trained on; it
    holds no per-step buffer. ``tfcourse run`` saves it as ``model.keras``.
    """
    (inputs,), (outputs,) = model.inputs, model.outputs
    plain = keras.Model(inputs, outputs, name=model.name)
    if model.optimizer is not None:
        plain.compile(optimizer=model.optimizer,
                      loss=keras.losses.CategoricalCrossentropy(from_logits=True),
                      metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")])
    return plain


def batch_norm_lab_parameters(lab: Lab) -> int:
    """``count_params()`` of the batch-norm lab's network (without ``step_losses``), from its sizes.

    Each hidden layer is ``z = x W`` (no bias) and a ``BatchNormalization``
    holding gamma, beta and the two population statistics per unit; the
    logits layer has its bias.
    """
    spec = lab.spec()
    total, fan_in = 0, spec.input_size
    for units in lab.hidden_sizes:
        total += fan_in * units + 4 * units
        fan_in = units
    return total + (fan_in + 1) * spec.num_classes


def set_initial_weights(model: keras.Model, weights: Sequence[np.ndarray]) -> None:
    """Copy the program's initial weights (creation order) into the model's trainable weights.

    ``W1, b1, W2, ...`` go to ``L1/kernel, L1/bias, L2/..., hypothesis/bias``
    (BN lab: ``W``, ``gamma``, ``beta`` per layer): both orders are creation
    order, and the shapes are checked.
    """
    variables = model.trainable_weights
    if len(variables) != len(weights):
        raise ValueError(
            f"The model has {len(variables)} trainable weights and the program "
            f"{len(weights)}. Received: {[np.shape(w) for w in weights]}"
        )
    for variable, value in zip(variables, weights):
        if tuple(variable.shape) != tuple(np.shape(value)):
            raise ValueError(
                f"Weight {variable.path} has shape {tuple(variable.shape)}; the program's "
                f"value has {tuple(np.shape(value))}"
            )
        variable.assign(np.asarray(value, np.float32))


def replay_dataset(x: np.ndarray, y: np.ndarray, batches: Sequence[np.ndarray],
                   prefetch: bool | None = None, gather_bytes: int | None = None):
    """A ``tf.data.Dataset`` of the given mini-batches, in order (no shuffle).

    ``batches`` are index arrays into ``x``/``y`` (a legacy trace's
    ``train_batches``); each element is ``(x[idx], y[idx])``. Rows are
    gathered from in-memory constants by index, many steps at once: the
    largest number of steps dividing ``len(batches)`` whose rows take at most
    ``gather_bytes`` (default :data:`GATHER_BYTES`; a whole MNIST epoch is
    172 MB) are gathered in one op and split into mini-batches: one gather
    and one ``tf.data`` map call per step took about 160 us of op time per
    step at batch 100 (``benchmarks/keras_tier_profile.py``). The bound keeps
    the copy small.
    """
    import tensorflow as tf  # noqa: PLC0415

    sizes = {len(batch) for batch in batches}
    if len(sizes) != 1:
        raise ValueError(f"All mini-batches must have one size. Received sizes {sorted(sizes)}")
    x = tf.constant(np.asarray(x, np.float32))
    y = tf.constant(np.asarray(y, np.float32))
    indices = np.stack(batches).astype(np.int64)
    step_bytes = indices.shape[1] * 4 * (int(np.prod(x.shape[1:])) + int(np.prod(y.shape[1:])))
    limit = GATHER_BYTES if gather_bytes is None else gather_bytes
    group = max((d for d in range(1, len(indices) + 1)
                 if len(indices) % d == 0 and d * step_bytes <= limit), default=1)
    groups = tf.data.Dataset.from_tensor_slices(indices.reshape(-1, group, indices.shape[1]))
    dataset = groups.map(lambda idx: (tf.gather(x, idx), tf.gather(y, idx))).unbatch()
    if FIT_DEFAULTS["prefetch"] if prefetch is None else prefetch:
        dataset = dataset.prefetch(tf.data.AUTOTUNE)
    return dataset


def compile_lab(model: keras.Model, lab: Lab, **overrides) -> keras.Model:
    """``model.compile`` with the lab's optimizer (tf1 convention), the programs' loss, FIT_DEFAULTS."""
    settings = {**FIT_DEFAULTS, **overrides}
    model.compile(
        optimizer=lab.make_optimizer("tf1"),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=[LabAccuracy(name="accuracy")],
        steps_per_execution=settings["steps_per_execution"],
        jit_compile=settings["jit_compile"],
    )
    return model


CONTINUABLE_SETTINGS = ("epochs",)
"""Checkpoint settings a run may differ in: it continues the checkpoint's trajectory.

A run with more epochs than a checkpoint's goes on where it stopped: the
mini-batches of epoch e do not depend on the number of epochs (TF1's
``next_batch`` order for the seed), nor do the labs' learning rates.
"""


def fit_lab(lab: Lab, data, batches: Sequence[np.ndarray], epochs: int, weights=None, *,
            seed: int = 0, callbacks=(), verbose: Any = "auto", dense: str = "keras",
            checkpoint_dir=None, checkpoint_metadata: dict | None = None, progress=None,
            prepare_logs=None, **overrides):
    """Train the Keras version on the replayed ``batches``; return (model, history, extras).

    Args:
        lab: the lab.
        data: ``(train, validation, test)`` pairs of float32 arrays (the split
            the legacy ``input_data`` builds).
        batches: index arrays into the train split, ``epochs * steps`` of them.
        epochs: number of epochs; steps per epoch = ``len(batches) // epochs``.
        weights: initial weights in creation order, or None (the lab's initializers, ``seed``).
        seed: seed of the initializers (without ``weights``) and of dropout.
        callbacks: more Keras callbacks (TensorBoard...).
        verbose: ``model.fit``'s progress bar setting.
        dense: ``"keras"`` (Keras' Dense) or ``"tf1"`` (:class:`TF1Dense`).
        checkpoint_dir: a folder for epoch-end checkpoints
            (:mod:`tfcourse.checkpointing`); a checkpoint already there (written
            with the same ``checkpoint_metadata``) is resumed exactly. One of
            fewer epochs (:data:`CONTINUABLE_SETTINGS`) is trained on to
            ``epochs``; one of more epochs is refused.
        checkpoint_metadata: settings stored with each checkpoint and checked on resume.
        progress: a :class:`tfcourse.labs.progress.TierProgress`, or None.
        prepare_logs: called as ``prepare_logs(initial_epoch, steps_per_epoch)``
            just before ``model.fit`` (not when the checkpoint holds every
            epoch already): where the caller removes or cuts back old event files.
        **overrides: keys of :data:`FIT_DEFAULTS`.

    A NaN/Inf loss or weight stops training with
    :class:`tfcourse.faults.NonFiniteError` (step and layer named).

    Returns:
        ``(model, history, {"test_accuracy": [...], "seconds": [...],
        "initial_epoch": E})`` (``E``: epochs taken from the checkpoint); the
        per-step losses are ``model.step_losses``.
    """
    (x_train, y_train), validation, (x_test, y_test) = data
    steps = len(batches) // epochs
    model = build_keras_model(lab, num_steps=len(batches), seed=seed, dense=dense)
    if weights is not None:
        set_initial_weights(model, weights)
    spe = overrides.get("steps_per_execution", FIT_DEFAULTS["steps_per_execution"])
    compile_lab(model, lab, **{**overrides,
                               "steps_per_execution": steps_per_execution_for(steps, spe)})
    from tfcourse.faults import NonFiniteGuard, check_training_data  # noqa: PLC0415

    check_training_data(x_train, y_train, model=model)

    timer = EpochTimer()
    test_accuracy = TestAccuracy(x_test, y_test)
    initial_epoch, saving = 0, []
    if checkpoint_dir is not None:
        from tfcourse import checkpointing  # noqa: PLC0415

        _check_not_longer(checkpoint_dir, epochs)
        expected = {key: value for key, value in (checkpoint_metadata or {}).items()
                    if key not in CONTINUABLE_SETTINGS}
        restored = checkpointing.restore_checkpoint(model, checkpoint_dir, expected=expected,
                                                    grow=(model.step_losses.path,))
        saved = restored["history"] if restored else {}
        initial_epoch = restored["epochs_done"] if restored else 0
        test_accuracy.history = list(saved.get("test_accuracy", []))
        timer.seconds = list(saved.get("epoch_seconds", []))
        saver = checkpointing.EpochCheckpoint(checkpoint_dir, checkpoint_metadata, saved)
        # the epoch's seconds go into the checkpoint's history, not into the logs
        record_seconds = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: (
            saver.history.setdefault("epoch_seconds", []).append(timer.seconds[-1])))
        saving = [record_seconds, saver]

    def batch_at(epoch, index):
        rows = batches[epoch * steps + index]
        return x_train[rows], y_train[rows]

    guard = NonFiniteGuard(batch_at, lambda: checkpoint_dir and _latest_model(checkpoint_dir))
    extras = {"test_accuracy": test_accuracy.history, "seconds": timer.seconds,
              "initial_epoch": initial_epoch}
    if initial_epoch >= epochs:  # the checkpoint holds every epoch already
        history = keras.callbacks.History()
        history.set_model(model)
        return model, history, extras
    if prepare_logs is not None:
        prepare_logs(initial_epoch, steps)
    shown = []
    if progress is not None:
        progress.first_epoch = initial_epoch
        shown = [ProgressLogger(progress, timer)]
    dataset = replay_dataset(x_train, y_train, batches[initial_epoch * steps:steps * epochs],
                             prefetch=overrides.get("prefetch"))
    history = model.fit(dataset, epochs=epochs, steps_per_epoch=steps, initial_epoch=initial_epoch,
                        validation_data=validation, shuffle=False,
                        callbacks=[guard, timer, test_accuracy, *shown, *callbacks, *saving],
                        verbose=verbose)
    return model, history, extras


def _check_not_longer(checkpoint_dir, epochs: int) -> None:
    """Refuse a checkpoint of more epochs than ``epochs`` (training cannot be undone)."""
    from tfcourse import checkpointing  # noqa: PLC0415
    from tfcourse._validation import file_problem  # noqa: PLC0415

    pointer = checkpointing.read_checkpoint(checkpoint_dir)
    if pointer is not None and pointer["epochs_done"] > epochs:
        raise checkpointing.CheckpointError(file_problem(
            "checkpoint", f"{checkpoint_dir}/{checkpointing.POINTER}",
            f"it holds {pointer['epochs_done']} trained epochs and this run has "
            f"epochs={epochs}; ask for {pointer['epochs_done']} or more epochs to use it, "
            "or start afresh (--overwrite, or another checkpoint folder)"))


def _latest_model(checkpoint_dir) -> str | None:
    from tfcourse import checkpointing  # noqa: PLC0415

    pointer = checkpointing.read_checkpoint(checkpoint_dir)
    return None if pointer is None else f"{checkpoint_dir}/{pointer['model']}"
