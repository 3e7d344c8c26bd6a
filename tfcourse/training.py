"""Batch, stochastic and mini-batch gradient descent as one helper (seeds 003, 004).

Seed 003 (C2W2L01-L02): with m training examples and mini-batch size b,

    b = m      batch gradient descent: one update per epoch
    b = 1      stochastic gradient descent: m updates per epoch
    1 < b < m  mini-batch gradient descent: ceil(m / b) updates per epoch
               (the last mini-batch holds the m mod b examples left over)

Seed 004's TF1 loop does the same by hand (``total_batch =
int(num_examples / batch_size)``; it drops the remainder, which this helper
does not). :func:`train` runs ``model.fit`` over the :class:`MiniBatches`
of each epoch, reshuffled from ``(seed, epoch)``, so a run is reproducible
and a resumed run (``initial_epoch``) sees the same order as an
uninterrupted one.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from tfcourse._validation import check_bool, check_int, reject_keywords
from tfcourse.faults import NonFiniteGuard, check_training_data

__all__ = ["MiniBatches", "train", "updates_per_epoch"]

_SET_BY_TRAIN = {
    "batch_size": "pass it as train(batch_size=...), the mini-batch size b.",
    "shuffle": "pass it as train(shuffle=...); train() shuffles from `seed` itself.",
    "steps_per_epoch": "train() always takes ceil(m / batch_size) steps per epoch.",
    "validation_split": "pass validation_data=(x_val, y_val) instead.",
    "sample_weight": "train() does not take sample weights yet.",
    "x": "pass the inputs as train(model, x, y, ...).",
    "y": "pass the targets as train(model, x, y, ...).",
}

_SET_BY_CHECKPOINT = {
    "initial_epoch": "with checkpoint_dir, train() resumes after the checkpoint's last epoch.",
}


def updates_per_epoch(num_examples: int, batch_size: int) -> int:
    """ceil(m / b): the number of gradient updates in one epoch."""
    num_examples = check_int("num_examples", num_examples, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    return math.ceil(num_examples / batch_size)


class MiniBatches:
    """The mini-batches X^{t}, Y^{t} of every epoch (seed 003's notation).

    Epoch e uses the permutation drawn from ``numpy.random.default_rng((seed,
    e))`` when ``shuffle`` is on, the original order otherwise, so the order
    depends only on (seed, epoch): a resumed run sees the same mini-batches as
    an uninterrupted one. ``epochs(start, stop)`` yields them in order, which
    is what ``model.fit`` consumes (Keras reads a generator sequentially and
    never reorders it).
    """

    def __init__(self, x, y, batch_size: int, *, shuffle: bool = True, seed: int = 0):
        self.x = x
        self.y = y
        self.num_examples = _num_examples(x)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed

    def order(self, epoch: int) -> np.ndarray:
        """The example indices of epoch ``epoch``, in the order they are used."""
        if not self.shuffle:
            return np.arange(self.num_examples)
        return np.random.default_rng((self.seed, epoch)).permutation(self.num_examples)

    def __len__(self) -> int:
        return math.ceil(self.num_examples / self.batch_size)

    def batch(self, epoch: int, index: int):
        """Mini-batch ``index`` (0-based) of epoch ``epoch``: (x, y)."""
        return self._batch(self.order(epoch), index)

    def epochs(self, start: int, stop: int):
        """Yield every mini-batch of epochs start .. stop - 1, in training order."""
        for epoch in range(start, stop):
            order = self.order(epoch)  # one permutation per epoch, not per batch
            for index in range(len(self)):
                yield self._batch(order, index)

    def _batch(self, order: np.ndarray, index: int):
        rows = order[index * self.batch_size:(index + 1) * self.batch_size]
        return _take(self.x, rows), _take(self.y, rows)


def _num_examples(data) -> int:
    if isinstance(data, dict):
        data = next(iter(data.values()))
    if isinstance(data, (list, tuple)):
        data = data[0]
    return int(np.shape(data)[0])


def _take(data, rows):
    if isinstance(data, dict):
        return {key: _take(value, rows) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(_take(value, rows) for value in data)
    return np.asarray(data)[rows]


def train(
    model: keras.Model,
    x: Any,
    y: Any,
    *,
    batch_size: int,
    epochs: int = 1,
    shuffle: bool = True,
    seed: int = 0,
    validation_data: Any = None,
    callbacks: Any = None,
    checkpoint_dir: Any = None,
    check_data: bool = True,
    stop_on_non_finite: bool = True,
    **fit_kwargs: Any,
) -> keras.callbacks.History:
    """Train a compiled model by (mini-)batch gradient descent; return the History.

    ``batch_size=m`` (the number of examples) is batch gradient descent,
    ``batch_size=1`` stochastic gradient descent, anything between is
    mini-batch gradient descent (seed 003). Every epoch takes
    ``ceil(m / batch_size)`` optimizer updates and sees every example once.

    Args:
        model: a compiled ``keras.Model``.
        x, y: inputs and targets with the examples along axis 0 (arrays, or
            dicts / lists of arrays for multi-input models).
        batch_size: mini-batch size b, an integer in [1, m].
        epochs: number of passes over the data, >= 1. Defaults to 1.
        shuffle: reshuffle the examples every epoch. Defaults to True.
        seed: seed of the shuffling (epoch e uses ``(seed, e)``). Defaults to 0.
        validation_data: ``(x_val, y_val)`` evaluated at the end of each epoch.
        callbacks: Keras callbacks.
        checkpoint_dir: a folder for epoch-end checkpoints
            (:mod:`tfcourse.checkpointing`). If it already holds one written
            with the same ``seed``, ``batch_size`` and ``shuffle``, training
            resumes after its last epoch, exactly as if never interrupted.
            Defaults to None (no checkpoints).
        check_data: refuse unusable data before training
            (:func:`tfcourse.faults.check_training_data`). Defaults to True.
        stop_on_non_finite: stop at the first NaN/Inf loss or weight with a
            :class:`tfcourse.faults.NonFiniteError` naming the step and the
            layer (:class:`tfcourse.faults.NonFiniteGuard`). Defaults to True.
        **fit_kwargs: passed on to ``model.fit`` (``verbose``,
            ``initial_epoch``, ...); ``batch_size``, ``shuffle``,
            ``steps_per_epoch`` and ``validation_split`` are set here and refused.

    Returns:
        The ``keras.callbacks.History`` of ``model.fit``.

    References: seed 003 (C2W2L01-L02, mini-batch gradient descent), seed 004
    (the epoch / batch loop of the TF1 MNIST program).
    """
    reject_keywords("train()", fit_kwargs, _SET_BY_TRAIN)
    if checkpoint_dir is not None:
        reject_keywords("train()", fit_kwargs, _SET_BY_CHECKPOINT)
    check_data = check_bool("check_data", check_data)
    stop_on_non_finite = check_bool("stop_on_non_finite", stop_on_non_finite)
    num_examples = _num_examples(x)
    if check_data and num_examples == 0:
        check_training_data(x, y)  # refuses the empty dataset by name
    if _num_examples(y) != num_examples:
        check_int("len(y)", _num_examples(y), low=num_examples, high=num_examples,
                  hint="x and y must hold the same number of examples")
    batch_size = check_int(
        "batch_size", batch_size, low=1, high=num_examples,
        hint=f"batch_size={num_examples} (all {num_examples} examples) is batch "
             "gradient descent, 1 is stochastic gradient descent",
    )
    epochs = check_int("epochs", epochs, low=1)
    shuffle = check_bool("shuffle", shuffle)
    seed = check_int("seed", seed, low=0)
    if check_data:
        check_training_data(x, y, model=model)
    batches = MiniBatches(x, y, batch_size, shuffle=shuffle, seed=seed)
    callbacks = list(callbacks or [])
    saver = None
    if checkpoint_dir is not None:
        from tfcourse import checkpointing  # noqa: PLC0415

        metadata = {"seed": seed, "batch_size": batch_size, "shuffle": shuffle}
        restored = checkpointing.restore_checkpoint(model, checkpoint_dir, expected=metadata)
        fit_kwargs["initial_epoch"] = restored["epochs_done"] if restored else 0
        saver = checkpointing.EpochCheckpoint(checkpoint_dir, metadata,
                                              restored["history"] if restored else None)
        callbacks.append(saver)
    if stop_on_non_finite:
        def last_checkpoint():
            if checkpoint_dir is None:
                return None
            from tfcourse import checkpointing  # noqa: PLC0415

            pointer = checkpointing.read_checkpoint(checkpoint_dir)
            return None if pointer is None else f"{checkpoint_dir}/{pointer['model']}"

        # first, so that it stops the step before any other callback sees it
        callbacks.insert(0, NonFiniteGuard(batches.batch, last_checkpoint))
    initial_epoch = fit_kwargs.get("initial_epoch", 0)
    if initial_epoch >= epochs:
        history = keras.callbacks.History()
        history.set_model(model)
        return history  # the checkpoint already holds every epoch
    return model.fit(batches.epochs(initial_epoch, epochs), epochs=epochs,
                     steps_per_epoch=len(batches), shuffle=False,
                     validation_data=validation_data,
                     callbacks=callbacks, **fit_kwargs)
