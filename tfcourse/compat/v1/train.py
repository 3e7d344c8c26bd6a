"""``tf.train`` of ``tfcourse.compat.v1``: TF1's, with optimizers a legacy Session can trace.

Every ``*Optimizer`` is the class of :mod:`tfcourse.compat.optimizers`
(``tf.compat.v1.train``'s class, registering its train ops); every other
name (``Saver``, ``exponential_decay``, ``get_or_create_global_step``...)
is ``tf.compat.v1.train``'s own.
"""

from __future__ import annotations

from typing import Any

from tfcourse.compat import optimizers as _optimizers
from tfcourse.compat.optimizers import *  # noqa: F401,F403  (the traced *Optimizer classes)


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    import tensorflow as tf  # noqa: PLC0415

    return getattr(tf.compat.v1.train, name)


def __dir__() -> list[str]:
    import tensorflow as tf  # noqa: PLC0415

    return sorted(set(dir(tf.compat.v1.train)) | set(_optimizers.OPTIMIZER_NAMES))
