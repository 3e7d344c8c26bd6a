"""``tf.nn`` of ``tfcourse.compat.v1``: ``tf.compat.v1.nn`` with TF1's recurrent networks.

``tf.nn.rnn_cell``, ``tf.nn.dynamic_rnn``, ``tf.nn.static_rnn``,
``tf.nn.bidirectional_dynamic_rnn`` and ``tf.nn.static_bidirectional_rnn``
come from :mod:`tfcourse.compat.rnn` (TensorFlow's own need Keras 2); every
other name is ``tf.compat.v1.nn``'s (``tf.nn.dropout(x, keep_prob)``,
``tf.nn.softmax_cross_entropy_with_logits``...).
"""

from __future__ import annotations

import importlib
from typing import Any

_RNN_FUNCTIONS = ("dynamic_rnn", "static_rnn", "bidirectional_dynamic_rnn",
                  "static_bidirectional_rnn")


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    if name == "rnn_cell":
        return importlib.import_module(f"{__name__}.rnn_cell")
    if name in _RNN_FUNCTIONS:
        return getattr(importlib.import_module("tfcourse.compat.rnn"), name)
    from tfcourse.compat.removed import NN  # noqa: PLC0415

    if name in NN:
        from tfcourse.compat.removed import UnsupportedSymbolError  # noqa: PLC0415

        raise UnsupportedSymbolError(f"tf.nn.{name}", NN[name])
    import tensorflow as tf  # noqa: PLC0415

    return getattr(tf.compat.v1.nn, name)


def __dir__() -> list[str]:
    import tensorflow as tf  # noqa: PLC0415

    return sorted(set(dir(tf.compat.v1.nn)) | {"rnn_cell", *_RNN_FUNCTIONS})
