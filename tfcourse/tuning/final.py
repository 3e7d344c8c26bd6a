"""The final training of a search's best configuration, and its one look at the test set.

A search chooses among configurations by their validation accuracy, so the
validation set has been used up: the test set is what says how good the
chosen configuration is. The final training therefore

1. rebuilds the best trial's configuration from scratch (same hyperparameters,
   same seed; the learning-rate schedule counts the epochs of the larger
   training set);
2. trains it on the whole training set, the validation split included, for
   the epochs its trial needed to reach its best validation score
   (``best_step + 1``): with no validation data left, the trial's best epoch
   stands in for early stopping;
3. evaluates it once on the test set, and records the result in
   ``DIR/final.json`` before anything else, so that a second run never
   evaluates again: it prints the recorded figures.

Every epoch is checkpointed into ``DIR/final/epochs`` (:mod:`tfcourse.checkpointing`):
a final training killed half-way continues after its last epoch and ends with
the weights of an uninterrupted one. The trained model is saved as
``DIR/final/model.keras`` and its curves go to ``DIR/tensorboard/final``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

from tfcourse.labs.runs import plural

__all__ = ["FINAL_FILE", "FinalResult", "read_final", "train_best"]

FINAL_FILE = "final.json"
FOLDER = "final"


@dataclasses.dataclass
class FinalResult:
    """What the final training did and the test set said (``DIR/final.json``)."""

    trial_id: str
    hyperparameters: dict[str, Any]
    epochs: int
    num_train: int
    test_accuracy: float
    test_loss: float
    num_test: int
    train_seconds: float
    wall_time_s: float
    model: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def read_final(directory) -> FinalResult | None:
    """The recorded final training of the search in ``directory``, or ``None``."""
    path = Path(directory) / FINAL_FILE
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as stream:
        return FinalResult(**json.load(stream))


def _print(result: FinalResult, dataset: str, stream, recorded: bool) -> None:
    when = "recorded earlier; the test set is not evaluated again" if recorded else "now"
    print(f"Final training of trial {result.trial_id} ({plural(result.epochs, 'epoch')} on "
          f"{result.num_train} examples, {result.train_seconds:,.1f} s): test accuracy = "
          f"{result.test_accuracy:.4f}, test loss = {result.test_loss:.4f} on "
          f"{result.num_test} test examples ({dataset}; {when})", file=stream)
    print(f"Final model: {result.model}", file=stream)


def train_best(config, tuner, data, *, stream=None) -> FinalResult | None:
    """Train the best trial's configuration on train + validation; evaluate it once on the test set.

    Returns the recorded :class:`FinalResult` without training when
    ``DIR/final.json`` exists, and ``None`` when no trial completed.
    """
    import keras  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415

    from tfcourse import checkpointing  # noqa: PLC0415
    from tfcourse.tuning import search  # noqa: PLC0415

    stream = stream or sys.stdout
    directory = Path(config.directory)
    recorded = read_final(directory)
    if recorded is not None:
        _print(recorded, config.dataset, stream, recorded=True)
        return recorded
    best_trials = tuner.oracle.get_best_trials(1)
    if not best_trials:
        return None
    start = time.monotonic()
    best = best_trials[0]
    epochs = int(best.best_step) + 1
    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    hypermodel = search.make_hypermodel(config, data)
    hypermodel.num_train = len(x)  # the schedules count the epochs of this training set
    hp = best.hyperparameters.copy()
    keras.backend.clear_session()
    model = hypermodel.build(hp)
    folder = directory / FOLDER
    metadata = {"search": config.fingerprint(), "trial_id": best.trial_id, "epochs": epochs,
                "num_train": len(x)}
    restored = checkpointing.restore_checkpoint(model, folder / "epochs", expected=metadata)
    initial_epoch = int(restored["epochs_done"]) if restored else 0
    if initial_epoch:
        print(f"The final training continues after epoch {initial_epoch} "
              f"(checkpoint {folder / 'epochs'})", file=sys.stderr, flush=True)
    print(f"Final training: trial {best.trial_id}'s configuration on {len(x)} examples "
          f"(training and validation sets) for {plural(epochs, 'epoch')}", file=sys.stderr,
          flush=True)
    saver = checkpointing.EpochCheckpoint(folder / "epochs", metadata,
                                          restored["history"] if restored else None)
    board = keras.callbacks.TensorBoard(log_dir=str(directory / "tensorboard" / FOLDER),
                                        histogram_freq=0, write_graph=False)
    fit_start = time.monotonic()
    hypermodel.fit(hp, model, x, y, epochs=epochs, initial_epoch=initial_epoch,
                   callbacks=[board, saver], verbose=config.verbose)
    train_seconds = time.monotonic() - fit_start
    evaluation = model.evaluate(data.x_test, data.y_test, batch_size=1024, verbose=0,
                                return_dict=True)
    model_path = folder / "model.keras"
    result = FinalResult(
        trial_id=best.trial_id, hyperparameters=search.json_values(config.space, hp),
        epochs=epochs, num_train=len(x), test_accuracy=float(evaluation["accuracy"]),
        test_loss=float(evaluation["loss"]), num_test=len(data.x_test),
        train_seconds=round(train_seconds, 1),
        wall_time_s=round(time.monotonic() - start, 1), model=str(model_path))
    # Recorded first: whatever happens next, the test set has been looked at once.
    search.write_json_atomic(directory / FINAL_FILE, result.to_json())
    checkpointing.atomic_write(model_path, model.save)
    _print(result, config.dataset, stream, recorded=False)
    return result
