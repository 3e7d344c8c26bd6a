"""TensorFlow's fused ``ResourceApply*`` kernels and IndexedSlices helpers.

Imported only from ``_fused_update`` methods and from the sparse-gradient
branch of ``ConventionOptimizer.update_step``, i.e. only on the TensorFlow
backend (the core optimizer modules never import TensorFlow; IndexedSlices
gradients exist only there). Each kernel updates the variable and its slots
in place in one op; which rule each one computes is in the optimizers'
docstrings and in ``tfcourse.conventions``.
"""

from __future__ import annotations

import keras
import tensorflow as tf

# Arguments that are variables (passed as resource handles); the rest are tensors.
_RESOURCE_ARGUMENTS = {"var", "accum", "accum_update", "m", "v", "vhat", "ms", "mom", "mg",
                       "resource"}


def _handle(variable):
    if isinstance(variable, keras.Variable):
        variable = variable.value  # the tf.Variable behind a Keras variable
    return variable.handle


def apply(kernel: str, **arguments):
    """Run ``tf.raw_ops.<kernel>`` with variables turned into resource handles."""
    op = getattr(tf.raw_ops, kernel)
    grad = arguments.get("grad")
    if isinstance(grad, tf.IndexedSlices):  # a ResourceSparseApply* kernel
        arguments = {**arguments, "grad": grad.values, "indices": grad.indices}
    converted = {
        key: _handle(value) if key in _RESOURCE_ARGUMENTS else value
        for key, value in arguments.items()
    }
    return op(**converted)


def is_sparse_kernel(kernel: str) -> bool:
    """Whether ``kernel`` takes (values, indices) rather than a dense gradient."""
    return kernel.startswith(("ResourceSparseApply", "ResourceScatter"))


def is_indexed_slices(gradient) -> bool:
    return isinstance(gradient, tf.IndexedSlices)


def densify(gradient):
    """The dense gradient: repeated rows of an IndexedSlices summed."""
    return tf.convert_to_tensor(gradient)


def deduplicate(gradient):
    """Repeated rows summed, as TF1's ``optimizer._deduplicate_indexed_slices``."""
    unique, positions = tf.unique(gradient.indices)
    values = tf.math.unsorted_segment_sum(gradient.values, positions, tf.shape(unique)[0])
    return tf.IndexedSlices(values, unique, gradient.dense_shape)


def rows_times(factor, variable, indices):
    """``factor * variable`` on the rows ``indices`` (each once), as IndexedSlices."""
    indices, _ = tf.unique(indices)
    rows = tf.gather(tf.convert_to_tensor(variable), indices)
    return tf.IndexedSlices(factor * rows, indices, tf.shape(variable, out_type=indices.dtype))
