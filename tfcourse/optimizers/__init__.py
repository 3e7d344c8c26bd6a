"""The course's optimizers as Keras 3 optimizers, each under four conventions.

Seeds 000-004 teach GD, SGD / mini-batch, Momentum, NAG, Adagrad, RMSProp,
AdaDelta, Adam and Nadam with explicit formulas, plus weight decay (002).
Every class here is a ``keras.optimizers.Optimizer`` usable in
``model.compile(optimizer=...)``, takes ``learning_rate`` first and
``convention="course" | "tf1" | "keras" | "torch"`` (see
``tfcourse.conventions``), and is registered for ``.keras`` saving.

>>> from tfcourse import optimizers
>>> optimizers.get("adam", convention="keras").epsilon
1e-07
>>> sorted(optimizers.ALL)[:3]
['adadelta', 'adagrad', 'adam']
"""

from __future__ import annotations

from typing import Any

from tfcourse._validation import check_choice
from tfcourse.optimizers.adadelta import Adadelta
from tfcourse.optimizers.adagrad import Adagrad
from tfcourse.optimizers.adam import Adam, AdamW
from tfcourse.optimizers.base import Convention, ConventionOptimizer
from tfcourse.optimizers.gradient_descent import GradientDescent
from tfcourse.optimizers.momentum import Momentum, Nesterov
from tfcourse.optimizers.nadam import Nadam
from tfcourse.optimizers.rmsprop import RMSProp

ALL = {
    "gradient_descent": GradientDescent,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": Adagrad,
    "rmsprop": RMSProp,
    "adadelta": Adadelta,
    "adam": Adam,
    "nadam": Nadam,
    "adamw": AdamW,
}
"""Registry: name -> class, in the order the course teaches them."""

_ALIASES = {"sgd": "gradient_descent", "gd": "gradient_descent", "nag": "nesterov"}


def get(name: str, **kwargs: Any) -> ConventionOptimizer | type:
    """The optimizer called ``name``, built with ``kwargs``.

    ``name`` is a key of ``ALL`` (case-insensitive; ``"sgd"``/``"gd"`` and
    ``"nag"`` are aliases). With no keyword arguments this returns an instance
    with the course convention's defaults, e.g. ``get("adam")``.
    """
    key = name.lower() if isinstance(name, str) else name
    key = _ALIASES.get(key, key)
    check_choice("name", key, [*ALL, *_ALIASES])
    return ALL[key](**kwargs)


__all__ = [
    "ALL",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Convention",
    "ConventionOptimizer",
    "GradientDescent",
    "Momentum",
    "Nadam",
    "Nesterov",
    "RMSProp",
    "get",
]
