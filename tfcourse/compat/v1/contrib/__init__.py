"""``tf.contrib`` of ``tfcourse.compat.v1``: only ``tf.contrib.layers`` is provided.

Any other ``tf.contrib.<module>`` raises an ``AttributeError`` naming its
modern replacement (:mod:`tfcourse.compat.removed`).
"""

from __future__ import annotations

import importlib
from typing import Any


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    if name == "layers":
        return importlib.import_module(f"{__name__}.layers")
    from tfcourse.compat.removed import contrib_error  # noqa: PLC0415

    raise contrib_error(name)
