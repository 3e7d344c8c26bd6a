"""One seed for every random number generator a run uses.

Keras' ``keras.utils.set_random_seed`` seeds Python's ``random``, NumPy and
the backend; TensorFlow additionally needs deterministic kernels for two runs
to give bit-identical weights (some CPU and GPU reductions are otherwise
order-dependent).
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from tfcourse._validation import check_int


def set_seed(seed: int = 0, *, deterministic_ops: bool = True) -> int:
    """Seed Python, NumPy and Keras (and so TensorFlow), and return the seed.

    Args:
        seed: an integer in [0, 2**32 - 1].
        deterministic_ops: also switch on TensorFlow's deterministic kernels
            (``tf.config.experimental.enable_op_determinism``), so that two
            runs with the same seed give bit-identical weights. This can cost
            speed on a GPU; it is a no-op for other Keras backends.
    """
    seed = check_int("seed", seed, 0, 2**32 - 1)
    import keras  # noqa: PLC0415  (lazy: importing tfcourse must stay cheap)

    keras.utils.set_random_seed(seed)
    if deterministic_ops and keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # noqa: PLC0415

        tf.config.experimental.enable_op_determinism()
    return seed


@contextlib.contextmanager
def seeded(seed: int = 0, *, deterministic_ops: bool = True) -> Iterator[int]:
    """:func:`set_seed` for a block; the deterministic kernels are switched back off after it.

    The generators stay seeded (their state has moved on anyway). TensorFlow's
    deterministic kernels are process-wide and refuse unseeded random ops (a
    TF1 graph without a seed, for one), so a library call that needs them for
    its own run (``tfcourse.tuning.run_search``) must not leave them on for
    the caller; if they were on before the block, they stay on.
    """
    enabled_before = _op_determinism_enabled()
    try:
        yield set_seed(seed, deterministic_ops=deterministic_ops)
    finally:
        if deterministic_ops and enabled_before is False:
            from tensorflow.python.framework import config  # noqa: PLC0415

            config.disable_op_determinism()


def _op_determinism_enabled() -> bool | None:
    """Whether TensorFlow's deterministic kernels are on (None: not TensorFlow, or unknown)."""
    import keras  # noqa: PLC0415

    if keras.backend.backend() != "tensorflow":
        return None
    from tensorflow.python.framework import config  # noqa: PLC0415

    probe = getattr(config, "is_op_determinism_enabled", None)
    return None if probe is None or not hasattr(config, "disable_op_determinism") else probe()
