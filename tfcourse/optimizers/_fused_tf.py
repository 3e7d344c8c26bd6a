"""TensorFlow's fused ``ResourceApply*`` kernels, for rules that match them exactly.

Imported only from ``_fused_update`` methods, i.e. only on the TensorFlow
backend (the core optimizer modules never import TensorFlow). Each kernel
updates the variable and its slots in place in one op; which rule each one
computes is in conventions.md section 2 and in the optimizers' docstrings.
"""

from __future__ import annotations

import keras
import tensorflow as tf

# Arguments that are variables (passed as resource handles); the rest are tensors.
_RESOURCE_ARGUMENTS = {"var", "accum", "accum_update", "m", "v", "vhat", "ms", "mom", "mg"}


def _handle(variable):
    if isinstance(variable, keras.Variable):
        variable = variable.value  # the tf.Variable behind a Keras variable
    return variable.handle


def apply(kernel: str, **arguments):
    """Run ``tf.raw_ops.<kernel>`` with variables turned into resource handles."""
    op = getattr(tf.raw_ops, kernel)
    converted = {
        key: _handle(value) if key in _RESOURCE_ARGUMENTS else value
        for key, value in arguments.items()
    }
    return op(**converted)
