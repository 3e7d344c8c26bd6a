"""``tf.contrib`` of ``tfcourse.compat.v1``: ``layers``, ``rnn`` and ``seq2seq`` are provided.

Any other ``tf.contrib.<module>`` raises an ``AttributeError`` naming its
modern replacement (:mod:`tfcourse.compat.removed`).
"""

from __future__ import annotations

import importlib
from typing import Any

_PROVIDED = ("layers", "rnn", "seq2seq")


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    if name in _PROVIDED:
        return importlib.import_module(f"{__name__}.{name}")
    from tfcourse.compat.removed import contrib_error  # noqa: PLC0415

    raise contrib_error(name)


def __dir__() -> list[str]:
    return sorted(_PROVIDED)
