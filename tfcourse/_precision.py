"""``float64_keras()``: build and run Keras models in float64, then restore the settings."""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def float64_keras():
    """Keras' floatx and global dtype policy set to float64 inside, both restored after.

    Setting floatx alone is not enough: once any layer has been created, Keras
    keeps the global dtype policy it derived from floatx then (float32), and
    new layers follow the policy, not floatx.
    """
    import keras

    previous_floatx = keras.config.floatx()
    previous_policy = keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    try:
        yield
    finally:
        keras.config.set_floatx(previous_floatx)
        keras.config.set_dtype_policy(previous_policy)
