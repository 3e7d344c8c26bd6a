"""``float64_keras()``: build and run Keras models in float64, then restore the settings."""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def float64_keras():
    """Keras' floatx and global dtype policy set to float64 inside, both restored after.

    Setting floatx alone is not enough: the first layer Keras creates stores the
    global dtype policy it derives from floatx then (float32), and later layers
    follow that policy, not floatx. On exit the policy slot is put back exactly
    as it was, unset included, so that nothing leaks into later code.
    """
    import keras
    # Private, because keras.config.dtype_policy() would set the slot while reading it.
    from keras.src.backend.common import global_state

    previous_floatx = keras.config.floatx()
    previous_policy = global_state.get_global_attribute("dtype_policy", None)
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    try:
        yield
    finally:
        keras.config.set_floatx(previous_floatx)
        global_state.set_global_attribute("dtype_policy", previous_policy)
