"""The course's activation names resolve to Keras layers computing the seed's formulas."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tfcourse.layers as L

X = np.linspace(-4, 4, 81).astype("float32")[None, :]
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805

FORMULAS = {  # seed 000 Unit 02 and seed 002, in NumPy
    "linear": lambda x: x,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(0, x),
    "leaky_relu": lambda x: np.maximum(0.01 * x, x),
    "leaky_relu_0.1": lambda x: np.maximum(0.1 * x, x),
    "prelu": lambda x: np.maximum(0, x),  # alpha starts at 0 in Keras
    "elu": lambda x: np.where(x >= 0, x, np.exp(x) - 1),
    "selu": lambda x: SELU_SCALE * np.where(x >= 0, x, SELU_ALPHA * (np.exp(x) - 1)),
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
}


def test_registry_lists_every_course_activation():
    assert set(L.ACTIVATIONS) == set(FORMULAS) | {"maxout"}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_layer_computes_the_course_formula(name):
    layer = L.activation_layer(name, layer_name=f"act_{name}")
    assert layer.name == f"act_{name}"
    assert type(layer).__module__.startswith("keras."), "must be Keras's own layer"
    np.testing.assert_allclose(np.asarray(layer(X)), FORMULAS[name](X.astype(np.float64)),
                               rtol=1e-6, atol=1e-7)  # float32 evaluation


def test_prelu_learns_its_slope():
    import tensorflow as tf
    layer = L.activation_layer("prelu")
    x = tf.constant(X)
    layer(x)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(layer(x))
    grad = np.asarray(tape.gradient(y, layer.trainable_weights[0]))
    np.testing.assert_allclose(grad.ravel(), np.minimum(X, 0).ravel(), atol=1e-6)  # d/dalpha = min(x, 0)


def test_unknown_or_maxout_name_raises():
    with pytest.raises(ValueError, match=r"`activation` must be one of \[.*'selu'.*\]. Received: activation='swish'"):
        L.activation_layer("swish")
    with pytest.raises(ValueError, match=r"Received: activation='maxout'"):
        L.activation_layer("maxout")


def test_public_names():
    assert sorted(L.__all__) == sorted(
        ["ACTIVATIONS", "BatchNormalization", "Dropout", "Maxout", "PopulationStatistics",
         "TF1Dense", "activation_layer", "calibrate_population_statistics"])
    for name in L.__all__:
        assert getattr(L, name) is not None
    assert keras.saving.get_registered_object("tfcourse>BatchNormalization") is L.BatchNormalization
