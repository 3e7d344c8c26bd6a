"""Knobs of a legacy run that leave the TF1 program's text unchanged.

A course program says ``training_epochs = 15`` and reads MNIST from
``"MNIST_data/"``; tests, the runner and ``tfcourse compare`` need to run it
on other data, for fewer steps, from given weights. Each knob is an
environment variable (so it works for ``python program.py`` and for
``tfcourse legacy run``) and can be overridden in-process with
:func:`overrides` (innermost wins, then the environment):

=====================  ==================================================
``TFCOURSE_DATASET``   ``mnist``, ``fashion_mnist`` or ``synthetic``: what
                       ``input_data.read_data_sets`` loads. When unset it
                       reads the program's folder if the four IDX files are
                       there, else MNIST.
``TFCOURSE_MAX_EXAMPLES``  keep at most N examples in each of train,
                       validation and test (500 makes one epoch of batch 100
                       five steps).
``TFCOURSE_MAX_STEPS``  run at most N training steps; later runs of a train
                       op are replaced by a no-op (the loop still runs).
``TFCOURSE_SEED``      default seed: the graph seed the runner sets before the
                       program starts, and the mini-batch shuffle seed when
                       the program sets no graph seed.
``TFCOURSE_INIT``      an ``.npz`` of initial weights by variable name
                       (``W1``, ``dense/kernel``; a trace file works too):
                       assigned right after ``global_variables_initializer``.
``TFCOURSE_TRACE``     write a :class:`tfcourse.compat.trace.Trace` (initial
                       weights, mini-batch indices, per-step losses) to this
                       ``.npz`` path when the program ends.
=====================  ==================================================
"""

from __future__ import annotations

import contextlib
import functools
import dataclasses
import os
import threading
from typing import Any, Iterator, Mapping

from tfcourse._validation import check_choice, check_int

DATASETS = ("mnist", "fashion_mnist", "synthetic")

ENVIRONMENT = {
    "dataset": "TFCOURSE_DATASET",
    "max_examples": "TFCOURSE_MAX_EXAMPLES",
    "max_steps": "TFCOURSE_MAX_STEPS",
    "seed": "TFCOURSE_SEED",
    "init": "TFCOURSE_INIT",
    "trace": "TFCOURSE_TRACE",
}


@dataclasses.dataclass(frozen=True)
class LegacySettings:
    """The knobs in force; ``None`` means "not set" (the program's own behaviour).

    Attributes:
        dataset: ``"mnist"``, ``"fashion_mnist"`` or ``"synthetic"``.
        max_examples: at most this many examples per split (>= 1).
        max_steps: at most this many training steps (>= 0).
        seed: default graph seed and shuffle seed (>= 0).
        init: path of an ``.npz`` of initial weights, or a mapping
            ``{variable name: array}``.
        trace: path where the trace of a standalone run is written.
    """

    dataset: str | None = None
    max_examples: int | None = None
    max_steps: int | None = None
    seed: int | None = None
    init: str | os.PathLike | Mapping[str, Any] | None = None
    trace: str | os.PathLike | None = None

    def __post_init__(self):
        if self.dataset is not None:
            check_choice("dataset", self.dataset, DATASETS)
        if self.max_examples is not None:
            check_int("max_examples", self.max_examples, 1)
        if self.max_steps is not None:
            check_int("max_steps", self.max_steps, 0)
        if self.seed is not None:
            check_int("seed", self.seed, 0, 2**63 - 1)


def _env_int(variable: str, low: int) -> int | None:
    text = os.environ.get(variable, "").strip()
    if not text:
        return None
    try:
        value: Any = int(text)
    except ValueError:
        value = text  # check_int reports the string with its type
    return check_int(variable, value, low)


def from_environment() -> LegacySettings:
    """The knobs set by ``TFCOURSE_*`` environment variables."""
    return _from_environment(tuple(os.environ.get(name) for name in ENVIRONMENT.values()))


@functools.lru_cache(maxsize=8)
def _from_environment(values: tuple) -> LegacySettings:
    # Keyed on the variables' values: Session.run asks on every training step.
    del values
    dataset = os.environ.get(ENVIRONMENT["dataset"], "").strip() or None
    if dataset is not None:
        check_choice(ENVIRONMENT["dataset"], dataset, DATASETS)
    return LegacySettings(
        dataset=dataset,
        max_examples=_env_int(ENVIRONMENT["max_examples"], 1),
        max_steps=_env_int(ENVIRONMENT["max_steps"], 0),
        seed=_env_int(ENVIRONMENT["seed"], 0),
        init=os.environ.get(ENVIRONMENT["init"]) or None,
        trace=os.environ.get(ENVIRONMENT["trace"]) or None,
    )


_local = threading.local()


def _stack() -> list[LegacySettings]:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


def current() -> LegacySettings:
    """The environment's knobs with every active :func:`overrides` applied."""
    environment = from_environment()
    stack = _stack()
    if not stack:
        return environment
    key = (id(environment), *map(id, stack))
    cached = getattr(_local, "merged", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    merged = {field.name: getattr(environment, field.name) for field in dataclasses.fields(environment)}
    for layer in _stack():
        for field in dataclasses.fields(layer):
            value = getattr(layer, field.name)
            if value is not None:
                merged[field.name] = value
    result = LegacySettings(**merged)
    _local.merged = (key, result, environment, tuple(stack))  # the refs keep the ids valid
    return result


@contextlib.contextmanager
def overrides(**knobs: Any) -> Iterator[LegacySettings]:
    """Set knobs for the code run inside the block (``None`` keeps the outer value).

    Example::

        with overrides(dataset="fashion_mnist", max_examples=500):
            read_data_sets("MNIST_data/", one_hot=True)   # 500 Fashion-MNIST examples
    """
    layer = LegacySettings(**knobs)
    _stack().append(layer)
    try:
        yield current()
    finally:
        _stack().remove(layer)
