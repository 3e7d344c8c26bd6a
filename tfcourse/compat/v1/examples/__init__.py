"""``tensorflow.examples`` of ``tfcourse.compat.v1``: only ``tutorials.mnist.input_data``."""
from . import tutorials  # noqa: F401  (tf.examples.tutorials works as an attribute)
