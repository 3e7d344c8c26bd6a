"""``tf.contrib.seq2seq`` of ``tfcourse.compat.v1``: only ``sequence_loss`` (:mod:`tfcourse.compat.seq2seq`).

The decoders and attention wrappers raise an ``AttributeError`` naming their
modern replacement.
"""

from __future__ import annotations

from typing import Any

from tfcourse.compat.seq2seq import sequence_loss  # noqa: F401


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    from tfcourse.compat.removed import seq2seq_error  # noqa: PLC0415

    raise seq2seq_error(name)
