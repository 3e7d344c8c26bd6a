"""Maxout vs a NumPy transcription of seed 000's max(w1'x + b1, ..., wk'x + bk)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from references.maxout import maxout as ref_maxout

from tfcourse.layers import Maxout

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("units,num_pieces,shape", [(3, 2, (5, 4)), (4, 5, (7, 6)), (2, 3, (2, 3, 4)),
                                                    (3, 1, (5, 4))])
def test_matches_numpy_reference(units, num_pieces, shape):
    layer = Maxout(units, num_pieces, bias_initializer="random_normal")
    x = RNG.normal(size=shape).astype("float32")
    y = np.asarray(layer(x))
    kernel, bias = (np.asarray(w, np.float64) for w in layer.get_weights())
    assert kernel.shape == (shape[-1], units * num_pieces)
    # float32 vs float64 on sums of <= 6 products of O(1) values.
    np.testing.assert_allclose(y, ref_maxout(x, kernel, bias, units, num_pieces), atol=1e-5)
    assert y.shape == shape[:-1] + (units,) == layer.compute_output_shape(shape)


def test_one_piece_is_a_dense_layer_and_pieces_really_compete():
    x = RNG.normal(size=(6, 4)).astype("float32")
    layer = Maxout(3, num_pieces=1)
    dense = keras.layers.Dense(3)
    dense.build((None, 4))
    layer.build((None, 4))
    dense.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.asarray(layer(x)), np.asarray(dense(x)), atol=1e-6)
    two = Maxout(3, num_pieces=2)
    y = np.asarray(two(x))
    kernel, bias = two.get_weights()
    z = (x @ kernel + bias).reshape(6, 3, 2)
    # Each piece wins somewhere, so the max is not a single affine map.
    assert (z[..., 0] > z[..., 1]).any() and (z[..., 1] > z[..., 0]).any()
    np.testing.assert_allclose(y, z.max(-1), atol=1e-6)


def test_gradient_flows_only_to_the_winning_piece():
    import tensorflow as tf
    layer = Maxout(1, num_pieces=2, use_bias=False)
    x = tf.constant([[1.0, 0.0]])
    layer(x)
    layer.kernel.assign([[2.0, -1.0], [0.0, 0.0]])  # piece 0 gives 2, piece 1 gives -1
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(layer(x))
    np.testing.assert_array_equal(np.asarray(tape.gradient(y, layer.kernel)), [[1.0, 0.0], [0.0, 0.0]])


def test_config_round_trip():
    layer = Maxout(5, num_pieces=3, use_bias=False, kernel_initializer="he_normal")
    config = layer.get_config()
    assert Maxout.from_config(config).get_config() == config
    assert keras.layers.serialize(layer)["registered_name"] == "tfcourse>Maxout"


@pytest.mark.parametrize("kwargs,error,message", [
    ({"units": 0}, ValueError, r"`units` must be an integer in \[1, inf\). Received: units=0"),
    ({"units": 2, "num_pieces": 0}, ValueError,
     r"`num_pieces` must be an integer in \[1, inf\). Received: num_pieces=0"),
    ({"units": 2.5}, TypeError, r"`units` must be an integer. Received: units=2.5"),
])
def test_bad_arguments_raise_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        Maxout(**kwargs)
