"""``tensorflow.examples.tutorials.mnist`` of ``tfcourse.compat.v1``."""
from . import input_data  # noqa: F401
