"""Run hyperparameters in TensorBoard's HParams dashboard.

TensorBoard's HParams plugin joins two kinds of records
(``tensorboard.plugins.hparams.api``): one ``hparams_config`` at the
experiment folder (``logs/<experiment>``) declaring the hyperparameters, their
domains and the metrics to show as columns, and one ``hparams`` record per
run folder (``logs/<experiment>/<run>``) with that run's values. The metrics
themselves are the scalars the Keras ``TensorBoard`` callback writes into the
run's ``train`` and ``validation`` subfolders (``epoch_loss``,
``epoch_accuracy``...).
"""

from __future__ import annotations

import numbers
import os
import time
from typing import Any, Mapping, Sequence

import keras
import numpy as np
from tensorboard.plugins.hparams import api as hp

from tfcourse.monitoring import _writers
from tfcourse.monitoring._base import check_log_dir

__all__ = ["DEFAULT_METRICS", "HParamsLogger", "write_hparams", "write_hparams_config"]

DEFAULT_METRICS = (
    "validation/epoch_accuracy",
    "validation/epoch_loss",
    "train/epoch_accuracy",
    "train/epoch_loss",
)
"""Metrics shown as HParams columns: ``<subfolder>/<scalar tag>``."""


def _plain(name: str, value: Any) -> Any:
    """A Python bool, int, float or str; ints stay ints (the dashboard shows 64, not 64.0)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(
        f"hyperparameter `{name}` must be a bool, int, float or str. "
        f"Received: {name}={value!r} of type {type(value).__name__}"
    )


def _domain(name: str, spec: Any):
    """An ``hp`` domain from a list of values, a ``(low, high)`` range or a domain."""
    if isinstance(spec, hp.Domain) or spec is None:
        return spec
    if isinstance(spec, range):
        spec = list(spec)
    if isinstance(spec, tuple) and len(spec) == 2 and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in spec
    ):
        low, high = (_plain(name, v) for v in spec)
        if isinstance(low, int) and isinstance(high, int):
            return hp.IntInterval(low, high)
        return hp.RealInterval(float(low), float(high))
    if isinstance(spec, (list, tuple)) and spec:
        values = [_plain(name, v) for v in spec]
        kinds = {type(v) for v in values}
        if kinds == {int, float}:
            values = [float(v) for v in values]
        elif len(kinds) > 1:
            raise TypeError(
                f"the values of hyperparameter `{name}` must share one type. "
                f"Received: {name}={list(spec)!r}"
            )
        return hp.Discrete(values)
    raise TypeError(
        f"hyperparameter `{name}` must be given as a non-empty list of values, a (low, high) "
        f"range or a tensorboard hp.Domain. Received: {name}={spec!r}"
    )


def write_hparams_config(
    experiment_dir,
    hparams: Mapping[str, Any],
    metrics: Sequence[str] = DEFAULT_METRICS,
) -> str:
    """Declare an experiment's hyperparameters and metric columns.

    Call once per experiment, before or after its runs are written.

    Args:
        experiment_dir: the experiment folder (``logs/<experiment>``).
        hparams: name -> domain: a list of values (``[16, 64, 256]``,
            ``["adam", "sgd"]``), a ``(low, high)`` range (ints give an
            integer interval, floats a real one), ``None`` (no domain), or a
            ``tensorboard.plugins.hparams.api`` domain.
        metrics: ``"<subfolder>/<tag>"`` strings, e.g.
            ``"validation/epoch_accuracy"``. Defaults to `DEFAULT_METRICS`.

    Returns:
        The folder written to.
    """
    experiment_dir = check_log_dir(experiment_dir)
    if not isinstance(hparams, Mapping) or not hparams:
        raise TypeError(
            f"`hparams` must be a non-empty mapping name -> domain. Received: hparams={hparams!r}"
        )
    declared = [hp.HParam(str(name), _domain(str(name), spec)) for name, spec in hparams.items()]
    columns = []
    for metric in metrics:
        group, _, tag = str(metric).rpartition("/")
        if not tag:
            raise ValueError(
                f"each metric must be '<subfolder>/<tag>', e.g. 'validation/epoch_accuracy'. "
                f"Received: metrics={list(metrics)!r}"
            )
        columns.append(hp.Metric(tag, group=group or None, display_name=str(metric)))
    writer = _writers.acquire(experiment_dir)
    try:
        with writer.as_default():
            hp.hparams_config(hparams=declared, metrics=columns)
    finally:
        _writers.release(experiment_dir)
    return experiment_dir


def write_hparams(run_dir, hparams: Mapping[str, Any], trial_id: str | None = None) -> str:
    """Record one run's hyperparameter values (``logs/<experiment>/<run>``).

    Args:
        run_dir: the run folder.
        hparams: name -> value (bool, int, float or str; NumPy scalars are
            accepted). Ints stay ints.
        trial_id: the session's name in the dashboard. Defaults to the run
            folder's name.

    Returns:
        The folder written to.
    """
    run_dir = check_log_dir(run_dir)
    if not isinstance(hparams, Mapping) or not hparams:
        raise TypeError(
            f"`hparams` must be a non-empty mapping name -> value. Received: hparams={hparams!r}"
        )
    values = {str(name): _plain(str(name), value) for name, value in hparams.items()}
    if trial_id is None:
        trial_id = os.path.basename(os.path.normpath(run_dir))
    writer = _writers.acquire(run_dir)
    try:
        with writer.as_default():
            hp.hparams(values, trial_id=str(trial_id), start_time_secs=int(time.time()))
    finally:
        _writers.release(run_dir)
    return run_dir


class HParamsLogger(keras.callbacks.Callback):
    """Records a run's hyperparameters for the HParams dashboard when training starts.

    A thin callback around :func:`write_hparams`, so a plain
    ``model.fit(callbacks=[...])`` run appears in the dashboard. Pair it with
    one :func:`write_hparams_config` call at the experiment folder to fix the
    columns and domains (without it TensorBoard infers them from the runs).

    Args:
        log_dir: the run folder (``logs/<experiment>/<run>``).
        hparams: name -> value (bool, int, float, str).
        trial_id: the session name. Defaults to the run folder's name.

    Example:
        >>> callback = HParamsLogger("logs/optimizers/adam", {"optimizer": "adam", "units": 256})
        >>> model.fit(x, y, callbacks=[callback])  # doctest: +SKIP
    """

    def __init__(self, log_dir, hparams: Mapping[str, Any], trial_id: str | None = None):
        super().__init__()
        self.log_dir = check_log_dir(log_dir)
        if not isinstance(hparams, Mapping) or not hparams:
            raise TypeError(
                f"`hparams` must be a non-empty mapping name -> value. Received: hparams={hparams!r}"
            )
        self.hparams = {str(name): _plain(str(name), value) for name, value in hparams.items()}
        self.trial_id = trial_id
        self._written = False

    def on_train_begin(self, logs=None):
        if not self._written:
            write_hparams(self.log_dir, self.hparams, self.trial_id)
            self._written = True
