"""Epoch-end checkpoints inside a KerasTuner trial, and exact continuation after a kill.

KerasTuner 1.4.8 resumes a search only between trials. A trial that was
RUNNING when the process died is still listed in ``oracle.json``'s
``ongoing_trials``; ``Oracle.reload`` moves it to the retry queue, and the
next ``Oracle.create_trial`` hands out that same trial (same id, same
hyperparameters, its run count unchanged) before drawing a new one, to be
trained again from its first epoch.

Here every trial writes a :mod:`tfcourse.checkpointing` checkpoint at the end
of each epoch into ``trials/trial_<id>/epochs/`` (atomic: a kill leaves the
previous checkpoint or the new one), and a trial handed out again with such a
folder continues after its last finished epoch. The checkpoint holds all
that the remaining epochs depend on:

* every model and optimizer variable (weights, batch-norm statistics, dropout
  seed states, ``iterations``, moments), Keras' global seed generator and
  Python's and NumPy's generators (:func:`tfcourse.checkpointing.save_checkpoint`);
* the logs of the epochs done, so that the trial's score is the best epoch
  of the whole trial and not of the epochs after the kill;
* the state of the trial's callbacks: ``EarlyStopping`` (``wait``,
  ``best``, ``best_epoch``, ``stopped_epoch``; ``restore_best_weights`` is
  not kept) and KerasTuner's ``SaveBestEpoch`` (the best value so far, so
  that ``checkpoint.weights.h5`` is replaced only by a better epoch), and
  whether training stopped early;
* each epoch's learning rate: the TensorBoard curves of the epochs done are
  rewritten from the checkpoint (events the killed process had not flushed
  are lost with it).

The mini-batches of epoch e follow from ``(seed, e)``
(:meth:`tfcourse.tuning.hypermodel.CourseHyperModel.fit`), so the continued
epochs see the batches of an uninterrupted trial, and the trial ends with
the same score and best weights.
"""

from __future__ import annotations

import json
import os

import keras
from keras_tuner.src.engine.tuner_utils import SaveBestEpoch

from tfcourse import checkpointing
from tfcourse._validation import file_problem

__all__ = ["FOLDER", "TrialCheckpoint", "checkpoint_dir", "restore", "settings",
           "write_epoch_curves"]

FOLDER = "epochs"
STATE_KEY = "trial_state"
_STATE_FIELDS = ("callbacks", "stopped", "learning_rate")
_EARLY_STOPPING_FIELDS = ("wait", "stopped_epoch", "best", "best_epoch")


def checkpoint_dir(trial_dir: str | os.PathLike) -> str:
    """The folder of a trial's epoch checkpoints: ``<trial_dir>/epochs``."""
    return os.path.join(os.fspath(trial_dir), FOLDER)


def settings(trial, search_fingerprint: str | None) -> dict:
    """What a trial's checkpoint must have been written with: the search, trial id and values."""
    values = json.loads(json.dumps(trial.hyperparameters.values))  # as read back from JSON
    return {"search": search_fingerprint, "trial_id": trial.trial_id, "hyperparameters": values}


def _number(value):
    return None if value is None else float(value)


def callback_states(callbacks) -> list[dict]:
    """The state of each callback that the remaining epochs depend on (JSON values)."""
    states = []
    for callback in callbacks:
        state = {"class": type(callback).__name__}
        if isinstance(callback, keras.callbacks.EarlyStopping):
            state.update({"wait": int(callback.wait), "stopped_epoch": int(callback.stopped_epoch),
                          "best": _number(callback.best), "best_epoch": int(callback.best_epoch)})
        elif isinstance(callback, SaveBestEpoch):
            state["best_value"] = float(callback.best_value)
        states.append(state)
    return states


def _set_callback_states(callbacks, states) -> None:
    for callback, state in zip(callbacks, states):
        if isinstance(callback, keras.callbacks.EarlyStopping):
            for name in _EARLY_STOPPING_FIELDS:
                setattr(callback, name, state[name])
        elif isinstance(callback, SaveBestEpoch):
            callback.best_value = state["best_value"]


class TrialCheckpoint(checkpointing.EpochCheckpoint):
    """:class:`tfcourse.checkpointing.EpochCheckpoint` that also keeps the trial's callbacks.

    Put it after every callback in ``callbacks`` (their epoch-end work is
    then in the checkpoint). ``restored`` is the pointer :func:`restore`
    returned: the callbacks get their saved state back at ``on_train_begin``
    (after ``EarlyStopping`` has reset itself there).
    """

    def __init__(self, directory, metadata: dict, callbacks, restored: dict | None = None):
        # The trial's hyperparameters rebuild the model: only its variables are saved.
        super().__init__(directory, metadata, restored["history"] if restored else None,
                         save_model=False)
        self.watched = list(callbacks)
        state = restored["metadata"][STATE_KEY] if restored else None
        self._restored_state = state
        self.learning_rates = list(state["learning_rate"]) if state else []
        self.stopped = bool(state["stopped"]) if state else False

    def on_train_begin(self, logs=None):
        if self._restored_state is not None:
            _set_callback_states(self.watched, self._restored_state["callbacks"])

    def on_epoch_end(self, epoch, logs=None):
        optimizer = self.model.optimizer
        self.learning_rates.append(float(keras.ops.convert_to_numpy(optimizer.learning_rate)))
        self.stopped = bool(self.model.stop_training)
        self.metadata[STATE_KEY] = {"callbacks": callback_states(self.watched),
                                    "stopped": self.stopped,
                                    "learning_rate": list(self.learning_rates)}
        super().on_epoch_end(epoch, logs)


def _check_state(path: str, state, callbacks) -> None:
    if not isinstance(state, dict) or any(name not in state for name in _STATE_FIELDS):
        raise checkpointing.CheckpointError(file_problem(
            "checkpoint", path, "it holds no trial state (it was not written by a tuning trial)"))
    saved = [entry.get("class") for entry in state["callbacks"]]
    here = [type(callback).__name__ for callback in callbacks]
    if saved != here:
        raise checkpointing.CheckpointError(file_problem(
            "checkpoint", path, f"it was written with the callbacks {saved} and this trial "
                                f"has {here}"))
    for callback, entry in zip(callbacks, state["callbacks"]):
        if isinstance(callback, keras.callbacks.EarlyStopping):
            missing = [name for name in _EARLY_STOPPING_FIELDS if name not in entry]
        elif isinstance(callback, SaveBestEpoch):
            missing = [] if "best_value" in entry else ["best_value"]
        else:
            continue
        if missing:
            raise checkpointing.CheckpointError(file_problem(
                "checkpoint", path, f"the state of {entry['class']} lacks {missing}"))


def restore(model, directory: str | os.PathLike, expected: dict, callbacks) -> dict | None:
    """Load a trial's last epoch checkpoint into ``model``; return its pointer, or None.

    Nothing is changed when there is no checkpoint. Raises
    :class:`tfcourse.checkpointing.CheckpointError` naming the file (and
    changes nothing) when the checkpoint is truncated or corrupt, or was
    written for another search, trial, model or set of ``callbacks``.
    """
    directory = os.fspath(directory)
    path = os.path.join(directory, checkpointing.POINTER)
    pointer = checkpointing.read_checkpoint(directory)
    if pointer is None:
        return None
    try:
        checkpointing.check_settings(path, pointer["metadata"], expected,
                                     hint="it belongs to another search or trial")
        _check_state(path, pointer["metadata"].get(STATE_KEY), callbacks)
        int(pointer["epochs_done"])
        return checkpointing.restore_checkpoint(model, directory, expected)
    except (KeyError, TypeError, AttributeError, IndexError) as error:
        raise checkpointing.CheckpointError(file_problem(
            "checkpoint", path, f"it is incomplete ({type(error).__name__}: {error})")) from None


def write_epoch_curves(log_dir: str | os.PathLike, pointer: dict) -> None:
    """Write the checkpoint's epochs as Keras' TensorBoard callback does (``epoch_<metric>``).

    ``train/`` gets the training metrics and the learning rate,
    ``validation/`` the ``val_`` metrics without the prefix; the step is the
    epoch index (0-based), as in Keras.
    """
    import tensorflow as tf  # noqa: PLC0415

    history = pointer["history"]
    learning_rates = pointer["metadata"][STATE_KEY]["learning_rate"]
    count = max((len(values) for values in history.values()), default=0)
    first = int(pointer["epochs_done"]) - count
    for split in ("train", "validation"):
        names = [name for name in history if name.startswith("val_") == (split == "validation")]
        writer = tf.summary.create_file_writer(os.path.join(os.fspath(log_dir), split))
        with writer.as_default():
            for index in range(count):
                for name in names:
                    if index < len(history[name]):
                        tf.summary.scalar("epoch_" + name.removeprefix("val_"),
                                          history[name][index], step=first + index)
                if split == "train" and index < len(learning_rates):
                    tf.summary.scalar("epoch_learning_rate", learning_rates[index],
                                      step=first + index)
        writer.close()
