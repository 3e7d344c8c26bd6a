"""One seed for every random number generator a run uses.

Keras' ``keras.utils.set_random_seed`` seeds Python's ``random``, NumPy and
the backend; TensorFlow additionally needs deterministic kernels for two runs
to give bit-identical weights (some CPU and GPU reductions are otherwise
order-dependent).
"""

from __future__ import annotations

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
