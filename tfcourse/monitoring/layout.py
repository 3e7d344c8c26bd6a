"""The log layout and the set of callbacks ``tfcourse run/compare/tune`` switch on.

Layout (one run per optimizer or setting, so their curves overlay)::

    logs/<lab or experiment>/                 hparams_config (write_hparams_config)
    logs/<lab or experiment>/<run>/           hparams of the run (HParamsLogger)
    logs/<lab or experiment>/<run>/train/     epoch_* (Keras TensorBoard), optimizer/*,
                                              activations/*, preactivations/*, gradient_norm/*
    logs/<lab or experiment>/<run>/validation/ epoch_* of the validation data
"""

from __future__ import annotations

import os
from typing import Any, Mapping

import keras

from tfcourse._validation import check_bool, check_int
from tfcourse.monitoring._base import check_log_dir
from tfcourse.monitoring.activation_statistics import ActivationStatistics
from tfcourse.monitoring.gradient_norms import GradientNorms
from tfcourse.monitoring.hparams import HParamsLogger
from tfcourse.monitoring.learning_rate import LearningRateLogger

__all__ = ["run_callbacks", "run_dir"]


def _check_name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"`{name}` must be a non-empty string. Received: {name}={value!r}")
    if os.sep in value or (os.altsep and os.altsep in value) or value in (".", ".."):
        raise ValueError(
            f"`{name}` must be a single folder name, without '/' or '..'. Received: {name}={value!r}"
        )
    return value


def run_dir(root, experiment: str, run: str) -> str:
    """Return ``<root>/<experiment>/<run>``, the folder of one run.

    Args:
        root: the log root, usually ``"logs"``.
        experiment: the lab or experiment name, e.g. ``"lab10_optimizers"``.
        run: the run name, one per optimizer or setting, e.g. ``"adam"``.
    """
    root = check_log_dir(root)
    return os.path.join(root, _check_name("experiment", experiment), _check_name("run", run))


def run_callbacks(
    log_dir,
    probe=None,
    *,
    every_n_steps: int = 100,
    histograms: bool = False,
    hparams: Mapping[str, Any] | None = None,
    trial_id: str | None = None,
    tensorboard: bool = True,
) -> list:
    """The monitoring callbacks for one run folder.

    Args:
        log_dir: the run folder (see :func:`run_dir`).
        probe: a fixed batch ``(x, y)`` for the activation statistics and
            gradient norms; ``None`` leaves both out.
        every_n_steps: how often those two write, an int >= 1. Defaults to `100`.
        histograms: add weight and gradient histograms (slow). Defaults to `False`.
        hparams: the run's hyperparameters for the HParams dashboard, or `None`.
        trial_id: the HParams session name. Defaults to the run folder's name.
        tensorboard: include Keras' ``TensorBoard`` callback for the loss and
            metric curves (``train/`` and ``validation/epoch_*``), without
            graph or histograms. Defaults to `True`.

    Returns:
        A list of callbacks for ``model.fit``.
    """
    log_dir = check_log_dir(log_dir)
    every_n_steps = check_int("every_n_steps", every_n_steps, low=1)
    histograms = check_bool("histograms", histograms)
    callbacks = []
    if check_bool("tensorboard", tensorboard):
        callbacks.append(
            keras.callbacks.TensorBoard(log_dir, histogram_freq=0, write_graph=False)
        )
    callbacks.append(LearningRateLogger(log_dir))
    if probe is not None:
        callbacks.append(ActivationStatistics(log_dir, probe, every_n_steps=every_n_steps))
        callbacks.append(
            GradientNorms(log_dir, probe, every_n_steps=every_n_steps, histograms=histograms)
        )
    if hparams is not None:
        callbacks.append(HParamsLogger(log_dir, hparams, trial_id))
    return callbacks
