"""Epoch-end checkpoints that survive a kill, and exact resume from them.

A run killed with SIGKILL in the middle of an epoch, then started again with
the same command, must end with the weights an uninterrupted run ends with.
That needs everything the rest of the run depends on, saved at the end of
each epoch:

* every model variable (weights, batch-norm statistics, the state of each
  dropout layer's seed generator, which ``model.save_weights`` leaves out),
* every optimizer variable (``iterations``, moments, tfcourse's TF1 running
  ``beta^t`` products),
* the state of Keras' global seed generator and of Python's and NumPy's
  global generators,
* the number of epochs done (the next epoch's mini-batches follow from
  ``(seed, epoch)``, see :class:`tfcourse.training.MiniBatches`).

Writes are atomic: each file goes to a temporary name in the same folder and
is renamed with :func:`os.replace`, and ``checkpoint.json``, which names the
current files, is replaced last. A kill at any moment leaves either the
previous checkpoint or the new one, never a mix. Each checkpoint also holds
the model as a ``.keras`` file (:func:`tfcourse.load_model` reads it).
"""

from __future__ import annotations

import json
import os
import random
import zipfile
from typing import Sequence

import keras
import numpy as np

from tfcourse._validation import TfcourseError, file_problem

__all__ = ["CheckpointError", "EpochCheckpoint", "POINTER", "atomic_write", "check_settings",
           "read_checkpoint", "restore_checkpoint", "save_checkpoint"]

POINTER = "checkpoint.json"
FORMAT = 1


class CheckpointError(TfcourseError, ValueError):
    """A checkpoint folder holds a truncated, corrupt or mismatched checkpoint."""


def atomic_write(path: str | os.PathLike, write) -> None:
    """``write(temporary_path)``, then rename onto ``path`` (never a half-written ``path``)."""
    folder, name = os.path.split(os.fspath(path))
    path = os.fspath(path)
    # the extension stays last: model.save() insists on ".keras"
    temporary = os.path.join(folder, f".tmp-{os.getpid()}-{name}")
    try:
        write(temporary)
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _write_arrays(path: str, arrays: dict) -> None:
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def _write_json(path: str, value: dict) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=1)


def _global_seed_generator():
    from keras.src.backend.common import global_state  # noqa: PLC0415

    return global_state.get_global_attribute("global_seed_generator")


def _optimizer_variables(model: keras.Model) -> list:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return []
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    return list(optimizer.variables)


def save_checkpoint(model: keras.Model, directory: str | os.PathLike, epochs_done: int,
                    metadata: dict | None = None, history: dict | None = None, *,
                    save_model: bool = True) -> str | None:
    """Write the checkpoint after ``epochs_done`` epochs into ``directory``; return its path.

    ``metadata`` (JSON values: seed, batch size...) is stored and compared by
    :func:`restore_checkpoint`; ``history`` (per-epoch logs) is stored as given.
    The checkpoint is the variables (``.npz``), which is all that resuming
    reads, and with ``save_model`` also the whole model as a ``.keras`` file
    that loads on its own (its path is returned; ``None`` without it).
    """
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):  # left by a writer killed mid-write
        if name.startswith(".tmp-"):
            os.remove(os.path.join(directory, name))
    stem = f"epoch-{epochs_done:04d}"
    arrays = {f"model_{i}": np.asarray(v.numpy()) for i, v in enumerate(model.variables)}
    arrays.update({f"optimizer_{i}": np.asarray(v.numpy())
                   for i, v in enumerate(_optimizer_variables(model))})
    generator = _global_seed_generator()
    if generator is not None:
        arrays["global_seed_generator"] = np.asarray(generator.state.numpy())
    numpy_state = np.random.get_state()
    arrays["numpy_random"] = numpy_state[1]
    atomic_write(os.path.join(directory, stem + ".npz"), lambda p: _write_arrays(p, arrays))
    if save_model:
        atomic_write(os.path.join(directory, stem + ".keras"), model.save)
    python_state = random.getstate()
    pointer = {
        "format": FORMAT, "epochs_done": int(epochs_done),
        "iterations": int(model.optimizer.iterations.numpy()) if model.optimizer else None,
        "variables": stem + ".npz", "model": stem + ".keras" if save_model else None,
        "num_model_variables": len(model.variables),
        "numpy_random": [numpy_state[0], int(numpy_state[2]), int(numpy_state[3]),
                         float(numpy_state[4])],
        "python_random": [python_state[0], list(python_state[1]), python_state[2]],
        "metadata": metadata or {}, "history": history or {},
    }
    previous = _read_pointer(directory)
    atomic_write(os.path.join(directory, POINTER), lambda p: _write_json(p, pointer))
    if previous is not None and previous.get("variables") != pointer["variables"]:
        for key in ("variables", "model"):
            stale = previous.get(key)
            if stale and os.path.isfile(os.path.join(directory, stale)):
                os.remove(os.path.join(directory, stale))
    return os.path.join(directory, stem + ".keras") if save_model else None


def _read_pointer(directory: str) -> dict | None:
    path = os.path.join(directory, POINTER)
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            pointer = json.load(handle)
    except (OSError, ValueError) as error:
        raise CheckpointError(file_problem("checkpoint", path, f"it is not valid JSON ({error})")
                              ) from None
    if not isinstance(pointer, dict) or pointer.get("format") != FORMAT:
        raise CheckpointError(file_problem(
            "checkpoint", path, f"it is not a tfcourse checkpoint (format {FORMAT})"))
    return pointer


def read_checkpoint(directory: str | os.PathLike) -> dict | None:
    """The contents of ``directory/checkpoint.json``, or None when there is no checkpoint."""
    return _read_pointer(os.fspath(directory))


def _load_arrays(path: str) -> dict:
    if not os.path.isfile(path):
        raise CheckpointError(file_problem("checkpoint", path, "the file does not exist"))
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise CheckpointError(file_problem(
            "checkpoint", path, f"it is truncated or corrupt ({error})")) from None


def check_settings(path: str | os.PathLike, stored: dict, expected: dict | None,
                   hint: str = "use the same settings to resume, or another checkpoint "
                               "folder to start afresh") -> None:
    """Raise :class:`CheckpointError` naming the first key of ``expected`` that ``stored``
    holds with another value (keys ``stored`` lacks are not compared)."""
    for key, value in (expected or {}).items():
        saved = stored.get(key, value)
        if saved != value:
            raise CheckpointError(file_problem(
                "checkpoint", path,
                f"it was written by a run with {key}={saved!r} and this run has "
                f"{key}={value!r}; {hint}"))


def restore_checkpoint(model: keras.Model, directory: str | os.PathLike,
                       expected: dict | None = None, grow: Sequence[str] = ()) -> dict | None:
    """Load the latest checkpoint of ``directory`` into ``model``; return its pointer.

    ``model`` must be built and compiled like the one that was saved. Returns
    None (and changes nothing) when the folder holds no checkpoint. Raises
    :class:`CheckpointError` naming the file when it is corrupt, holds
    another model, or its ``metadata`` differs from ``expected`` on a shared key.
    ``grow`` names 1-D model variables (by path) that may be longer in
    ``model`` than in the file, such as a per-step buffer of a run continued
    for more epochs: the saved values fill the front, zeros the rest.
    """
    directory = os.fspath(directory)
    pointer = _read_pointer(directory)
    if pointer is None:
        return None
    check_settings(os.path.join(directory, POINTER), pointer["metadata"], expected)
    path = os.path.join(directory, pointer["variables"])
    arrays = _load_arrays(path)
    targets = [(f"model_{i}", v) for i, v in enumerate(model.variables)]
    targets += [(f"optimizer_{i}", v) for i, v in enumerate(_optimizer_variables(model))]
    saved = sorted(k for k in arrays if k.startswith(("model_", "optimizer_")))
    if len(saved) != len(targets):
        raise CheckpointError(file_problem(
            "checkpoint", path, f"it holds {len(saved)} model and optimizer variables and "
            f"this model has {len(targets)}; it was written for another model or optimizer"))
    for key, variable in targets:
        saved_value = arrays.get(key)
        if (saved_value is not None and variable.path in grow and saved_value.ndim == 1
                and len(variable.shape) == 1 and saved_value.shape[0] < variable.shape[0]):
            arrays[key] = np.concatenate([saved_value, np.zeros(
                variable.shape[0] - saved_value.shape[0], saved_value.dtype)])
        if key not in arrays or tuple(arrays[key].shape) != tuple(variable.shape):
            raise CheckpointError(file_problem(
                "checkpoint", path, f"variable {variable.path} has shape "
                f"{tuple(variable.shape)} here and {tuple(arrays[key].shape)} in the file; "
                "it was written for another model"))
    for key, variable in targets:
        variable.assign(arrays[key])
    if "global_seed_generator" in arrays:
        from keras.src.random.seed_generator import global_seed_generator  # noqa: PLC0415

        global_seed_generator().state.assign(arrays["global_seed_generator"])
    name, position, has_gauss, cached = pointer["numpy_random"]
    np.random.set_state((name, arrays["numpy_random"], position, has_gauss, cached))
    version, state, gauss = pointer["python_random"]
    random.setstate((version, tuple(state), gauss))
    return pointer


class EpochCheckpoint(keras.callbacks.Callback):
    """Keras callback: :func:`save_checkpoint` at every epoch end, if all weights are finite.

    ``metadata`` is stored with each checkpoint (and checked on resume);
    epoch logs are accumulated into the stored ``history``, starting from
    ``history`` (a resumed run passes the restored one). ``save_model=False``
    leaves out the ``.keras`` file of each epoch, for a caller that rebuilds
    the model itself (a tuner trial: its hyperparameters build it).
    """

    def __init__(self, directory: str | os.PathLike, metadata: dict | None = None,
                 history: dict | None = None, *, save_model: bool = True):
        super().__init__()
        self.save_model = save_model
        self.directory = os.fspath(directory)
        self.metadata = dict(metadata or {})
        self.history = {key: list(values) for key, values in (history or {}).items()}
        self.last_path: str | None = None

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if not all(np.all(np.isfinite(v.numpy())) for v in self.model.trainable_variables):
            return  # never replace a finite checkpoint by a diverged one
        self.last_path = save_checkpoint(self.model, self.directory, epoch + 1,
                                         self.metadata, self.history,
                                         save_model=self.save_model)
