"""``tf.layers`` of ``tfcourse.compat.v1``: TF1's functional layers without Keras 2.

See :mod:`tfcourse.compat.layers` for the formulas and names. Other
``tf.layers`` names raise an ``AttributeError`` naming their replacement.
"""

from __future__ import annotations

from tfcourse.compat.layers import (  # noqa: F401
    __getattr__,
    average_pooling2d,
    batch_normalization,
    conv2d,
    dense,
    dropout,
    flatten,
    max_pooling2d,
)
