"""Backpropagation from scratch in NumPy, next to TensorFlow and Keras (seed 004).

* :mod:`~tfcourse.scratch.layers`: the nodes with ``forward``/``backward``
  (multiply, add, Sigmoid, ReLU, Affine, SoftmaxWithLoss, MeanSquaredError)
  and the seed's worked examples (:func:`linear_graph`, :func:`sigmoid_chain`);
* :mod:`~tfcourse.scratch.network`: :class:`TwoLayerNet`, its backprop and
  numerical gradients and a gradient-descent step;
* :mod:`~tfcourse.scratch.twin`: the same gradients from ``tf.GradientTape``,
  and the NumPy net trained next to its Keras twin (:func:`train_twins`).

``tfcourse backprop`` shows all three. Importing the package imports NumPy
only; the Keras twin imports TensorFlow when it is built.
"""

from tfcourse._lazy import lazy_attributes

_EXPORTS = {
    **{name: "tfcourse.scratch.layers" for name in (
        "Affine", "AddNode", "MeanSquaredError", "MultiplyNode", "ReLU", "Sigmoid",
        "SoftmaxWithLoss", "cross_entropy_error", "linear_graph", "numerical_gradient",
        "one_hot", "sigmoid", "sigmoid_chain", "softmax")},
    "TwoLayerNet": "tfcourse.scratch.network",
    **{name: "tfcourse.scratch.twin" for name in (
        "GradientCheck", "TwinRun", "gradient_checks", "keras_twin", "tape_gradients",
        "train_twins")},
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)
