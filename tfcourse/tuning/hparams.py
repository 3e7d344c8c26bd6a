"""TensorBoard HParams for a search: one session per trial, integers shown as integers.

KerasTuner 1.4.8 adds an HParams callback by itself when a
``keras.callbacks.TensorBoard`` is passed to ``search()``, but writes every
integer hyperparameter as a number. The HParams protocol has no integer
type (``DATA_TYPE_FLOAT64`` is its only numeric type), and the TensorBoard
2.21 dashboard prints numbers with ``toPrecision(5)``: ``units`` = 256 shows
as ``256.00`` and 8 as ``8.0000``. Here integers are written as strings
("256") with a discrete domain of all their values, so the table and the
filters show ``256``; floats stay numbers, booleans booleans. The price:
TensorBoard sorts a string domain as text, so the parallel-coordinates axis
of ``units`` reads 1024, 128, 256, 512, 64.

Layout under the search's TensorBoard root::

    <root>/                       hparams_config (the experiment: every hyperparameter, metrics)
    <root>/trial_<id>/            the trial's session (its hyperparameter values)
    <root>/trial_<id>/train/      epoch_loss, epoch_accuracy (Keras's TensorBoard callback)
    <root>/trial_<id>/validation/

``tensorboard --logdir <root>`` shows the HParams dashboard.
"""

from __future__ import annotations

from typing import Any

from tfcourse.tuning.space import Boolean, Choice, Fixed, FloatRange, IntRange, SearchSpace

__all__ = ["hparams_values", "trial_logdir", "write_experiment"]

# Discrete string domains longer than this are left out (TensorBoard then
# lists the values it has seen).
_MAX_LISTED_VALUES = 1000


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _domain(api, domain):
    candidates = domain.candidates()
    if isinstance(domain, FloatRange):
        return api.RealInterval(float(domain.min_value), float(domain.max_value))
    if isinstance(domain, Boolean):
        return api.Discrete([False, True])
    if isinstance(domain, (Choice, Fixed, IntRange)):
        if all(_is_int(value) for value in candidates):
            if len(candidates) > _MAX_LISTED_VALUES:
                return None
            return api.Discrete([str(value) for value in sorted(candidates)])
        if all(isinstance(value, float) for value in candidates):
            return api.Discrete([float(value) for value in candidates])
        return api.Discrete(list(candidates))
    return None


def _value(value: Any) -> Any:
    return str(value) if _is_int(value) else value


def hparams_objects(space: SearchSpace) -> dict[str, Any]:
    """name -> ``hparams_api.HParam`` for every hyperparameter of ``space``."""
    from tensorboard.plugins.hparams import api  # noqa: PLC0415

    return {name: api.HParam(name, _domain(api, space.domains[name]))
            for name in space.active_names()}


def hparams_values(space: SearchSpace, values: dict[str, Any]) -> dict[Any, Any]:
    """``{HParam: value}`` for one trial, integers as strings; inactive names left out."""
    objects = hparams_objects(space)
    return {objects[name]: _value(value) for name, value in values.items() if name in objects}


def trial_logdir(root: str, trial_id: str, execution: int = 0) -> str:
    import os  # noqa: PLC0415

    suffix = "" if execution == 0 else f"_execution{execution}"
    return os.path.join(str(root), f"trial_{trial_id}{suffix}")


def write_experiment(root: str, space: SearchSpace) -> None:
    """Write the experiment summary (``hparams_config``) to ``root``."""
    import tensorflow as tf  # noqa: PLC0415
    from tensorboard.plugins.hparams import api  # noqa: PLC0415

    metrics = [
        api.Metric("epoch_accuracy", group="validation", display_name="validation accuracy"),
        api.Metric("epoch_loss", group="validation", display_name="validation loss"),
        api.Metric("epoch_accuracy", group="train", display_name="train accuracy"),
        api.Metric("epoch_loss", group="train", display_name="train loss"),
    ]
    writer = tf.summary.create_file_writer(str(root))
    with writer.as_default():
        api.hparams_config(hparams=list(hparams_objects(space).values()), metrics=metrics)
    writer.close()
