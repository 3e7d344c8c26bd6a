"""``tensorflow.examples.tutorials`` of ``tfcourse.compat.v1``."""
from . import mnist  # noqa: F401
