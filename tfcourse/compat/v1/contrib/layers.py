"""``tf.contrib.layers`` of ``tfcourse.compat.v1`` (see :mod:`tfcourse.compat.contrib`).

Other names raise an ``AttributeError`` naming their modern replacement.
"""

from __future__ import annotations

from typing import Any

from tfcourse.compat.contrib import (  # noqa: F401
    avg_pool2d,
    batch_norm,
    conv2d,
    convolution2d,
    dropout,
    flatten,
    fully_connected,
    l2_regularizer,
    linear,
    max_pool2d,
    variance_scaling_initializer,
    xavier_initializer,
    xavier_initializer_conv2d,
)


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    from tfcourse.compat.removed import contrib_layers_error  # noqa: PLC0415

    raise contrib_layers_error(name)
