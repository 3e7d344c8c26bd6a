"""``tf.contrib.rnn`` of ``tfcourse.compat.v1``: TF1's cells and ``static_rnn`` (:mod:`tfcourse.compat.rnn`).

Other names (``LayerNormBasicLSTMCell``, ``LSTMBlockCell``...) raise an
``AttributeError`` naming their modern replacement.
"""

from __future__ import annotations

from typing import Any

from tfcourse.compat.rnn import (  # noqa: F401
    BasicLSTMCell,
    BasicRNNCell,
    DropoutWrapper,
    GRUCell,
    LayerRNNCell,
    LSTMCell,
    LSTMStateTuple,
    MultiRNNCell,
    OutputProjectionWrapper,
    ResidualWrapper,
    RNNCell,
    static_bidirectional_rnn,
    static_rnn,
)


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    from tfcourse.compat.removed import contrib_rnn_error  # noqa: PLC0415

    raise contrib_rnn_error(name)
