"""What the step-level monitoring callbacks share: where they write and when.

A callback of this package writes into ``<log_dir>/train``, the folder the
Keras ``TensorBoard`` callback uses for the training curves of the same run,
so TensorBoard shows one run per optimizer or setting and their curves
overlay. Steps are the optimizer's update count (``optimizer.iterations``),
the x axis Keras uses for batch-level summaries, counted across epochs and
across successive ``fit`` calls.
"""

from __future__ import annotations

import os

import keras
import numpy as np

from tfcourse._validation import check_int
from tfcourse.monitoring import _writers


def check_log_dir(log_dir) -> str:
    """Return ``log_dir`` as a string path, or raise ``TypeError``."""
    if isinstance(log_dir, bool) or not isinstance(log_dir, (str, os.PathLike)):
        raise TypeError(
            f"`log_dir` must be a path (str or os.PathLike). Received: log_dir={log_dir!r} "
            f"of type {type(log_dir).__name__}"
        )
    return os.fspath(log_dir)


def probe_arrays(probe, owner: str, need_targets: bool) -> tuple:
    """Return ``(x, y)`` from a probe batch given as ``x`` or ``(x, y)``.

    ``y`` is ``None`` when the probe has no targets; ``need_targets`` makes
    that an error naming ``owner``.
    """
    if isinstance(probe, (tuple, list)):
        if len(probe) != 2:
            raise ValueError(
                f"{owner}: `probe` must be an array x or a pair (x, y). "
                f"Received: a {type(probe).__name__} of length {len(probe)}"
            )
        x, y = probe
    else:
        x, y = probe, None
    if need_targets and y is None:
        raise ValueError(
            f"{owner} needs targets to compute the loss: pass `probe=(x, y)`. "
            f"Received: probe=x only"
        )
    x = np.asarray(x)
    if x.ndim < 1 or x.shape[0] < 1:
        raise ValueError(
            f"{owner}: `probe` must hold at least one example along axis 0. "
            f"Received: x of shape {x.shape}"
        )
    return x, (None if y is None else np.asarray(y))


def optimizer_step(model) -> int:
    """The number of updates the model's optimizer has applied."""
    return int(keras.ops.convert_to_numpy(model.optimizer.iterations))


class StepCallback(keras.callbacks.Callback):
    """Writes summaries at the start of training, every N steps and at the end.

    Subclasses implement ``write(step)``, called inside the writer's context.
    "Every N steps" means each time the update count crosses a multiple of N,
    which also works when ``steps_per_execution`` > 1 makes it jump.
    """

    subfolder = "train"

    def __init__(self, log_dir, every_n_steps: int):
        super().__init__()
        self.log_dir = check_log_dir(log_dir)
        self.every_n_steps = check_int("every_n_steps", every_n_steps, low=1)
        self._writer = None
        self._last_step = None

    @property
    def folder(self) -> str:
        """The folder the event file is written to."""
        return os.path.join(self.log_dir, self.subfolder)

    def write(self, step: int) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _write_at(self, step: int) -> None:
        with self._writer.as_default(step=step):
            self.write(step)
        self._last_step = step

    def on_train_begin(self, logs=None):
        self._writer = _writers.acquire(self.folder)
        self._write_at(optimizer_step(self.model))

    def on_train_batch_end(self, batch, logs=None):
        step = optimizer_step(self.model)
        if step // self.every_n_steps > self._last_step // self.every_n_steps:
            self._write_at(step)

    def on_train_end(self, logs=None):
        step = optimizer_step(self.model)
        if step != self._last_step:
            self._write_at(step)
        _writers.release(self.folder)
        self._writer = None
