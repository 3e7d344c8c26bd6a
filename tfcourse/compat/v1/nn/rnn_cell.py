"""``tf.nn.rnn_cell`` of ``tfcourse.compat.v1``: TF1's cells (:mod:`tfcourse.compat.rnn`).

Other names (``DeviceWrapper``...) raise an ``AttributeError`` naming their
modern replacement.
"""

from __future__ import annotations

from typing import Any

from tfcourse.compat.rnn import (  # noqa: F401
    BasicLSTMCell,
    BasicRNNCell,
    DropoutWrapper,
    GRUCell,
    LSTMCell,
    LSTMStateTuple,
    MultiRNNCell,
    ResidualWrapper,
    RNNCell,
)


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    from tfcourse.compat.removed import rnn_cell_error  # noqa: PLC0415

    raise rnn_cell_error(name)
