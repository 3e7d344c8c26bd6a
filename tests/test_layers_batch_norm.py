"""BatchNormalization vs NumPy Algorithms 1/2, keras.layers.BatchNormalization and tf.nn.

Tolerances: float32 layers are compared with float64 references at
atol 2e-5 on O(1) outputs (a few float32 roundings of values up to ~5; the
float32 machine epsilon is 1.2e-7), and with Keras's float32 layer at 1e-5.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from references import batch_norm as ref

from tfcourse.layers import BatchNormalization, PopulationStatistics, calibrate_population_statistics

RNG = np.random.default_rng(0)
ATOL_REF = 2e-5  # float32 layer vs float64 reference, see module docstring
ATOL_KERAS = 1e-5  # two float32 implementations, different operation order

# (input shape, axis): Dense features, NHWC channels, NCHW channels.
SHAPES = [((16, 5), -1), ((6, 4, 4, 3), -1), ((6, 3, 4, 4), 1)]
SHAPE_IDS = ["dense", "conv_nhwc", "conv_nchw"]


def _data(shape, loc=3.0, scale=2.0):
    return RNG.normal(loc, scale, size=shape).astype("float32")


def _set_gamma_beta(layer, features, seed=1):
    rng = np.random.default_rng(seed)
    gamma = rng.uniform(0.5, 2.0, features).astype("float32")
    beta = rng.normal(0.0, 1.0, features).astype("float32")
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    return gamma, beta


@pytest.mark.parametrize("shape,axis", SHAPES, ids=SHAPE_IDS)
def test_training_output_is_standardized_before_gamma_beta(shape, axis):
    x = _data(shape)
    layer = BatchNormalization(axis=axis, epsilon=0.0, center=False, scale=False)
    y = np.asarray(layer(x, training=True), dtype=np.float64)
    flat = np.moveaxis(y, axis, -1).reshape(-1, shape[axis])
    np.testing.assert_allclose(flat.mean(0), 0.0, atol=1e-6)
    np.testing.assert_allclose(flat.std(0), 1.0, atol=1e-5)


@pytest.mark.parametrize("shape,axis", SHAPES, ids=SHAPE_IDS)
def test_training_matches_numpy_algorithm1_and_moving_update(shape, axis):
    layer = BatchNormalization(axis=axis, momentum=0.9, epsilon=1e-3)
    layer.build(shape)
    gamma, beta = _set_gamma_beta(layer, shape[axis])
    moving_mean, moving_var = np.zeros(shape[axis]), np.ones(shape[axis])
    for step in range(3):
        x = _data(shape, loc=step)
        y = np.asarray(layer(x, training=True))
        np.testing.assert_allclose(y, ref.algorithm1(x, gamma, beta, 1e-3, axis),
                                   atol=ATOL_REF, err_msg=f"step {step}")
        mu_b, sigma2_b, _ = ref.batch_moments(x, axis)
        moving_mean, moving_var = ref.moving_update(moving_mean, moving_var, mu_b, sigma2_b, 0.9)
        np.testing.assert_allclose(np.asarray(layer.moving_mean), moving_mean, atol=ATOL_REF)
        np.testing.assert_allclose(np.asarray(layer.moving_variance), moving_var, atol=ATOL_REF)


@pytest.mark.parametrize("shape,axis", SHAPES, ids=SHAPE_IDS)
def test_matches_keras_batch_normalization_training_and_inference(shape, axis):
    ours = BatchNormalization(axis=axis, momentum=0.8, epsilon=1e-2)
    theirs = keras.layers.BatchNormalization(axis=axis, momentum=0.8, epsilon=1e-2)
    ours.build(shape)
    theirs.build(shape)
    gamma, beta = _set_gamma_beta(ours, shape[axis])
    theirs.gamma.assign(gamma)
    theirs.beta.assign(beta)
    for step in range(4):
        x = _data(shape, loc=step, scale=1.0 + step)
        np.testing.assert_allclose(np.asarray(ours(x, training=True)),
                                   np.asarray(theirs(x, training=True)),
                                   atol=ATOL_KERAS, err_msg=f"training step {step}")
        np.testing.assert_allclose(np.asarray(ours.moving_mean), np.asarray(theirs.moving_mean),
                                   atol=1e-6, err_msg=f"moving_mean step {step}")
        np.testing.assert_allclose(np.asarray(ours.moving_variance),
                                   np.asarray(theirs.moving_variance),
                                   atol=1e-5, err_msg=f"moving_variance step {step}")
    x = _data(shape)
    np.testing.assert_allclose(np.asarray(ours(x, training=False)),
                               np.asarray(theirs(x, training=False)), atol=ATOL_KERAS)
    # A direct call without `training` is inference, as in Keras.
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x, training=False)),
                               atol=ATOL_KERAS)


def test_matches_tf_nn_batch_normalization():
    import tensorflow as tf
    x = _data((32, 6))
    layer = BatchNormalization(epsilon=1e-3)
    layer.build(x.shape)
    gamma, beta = _set_gamma_beta(layer, 6)
    mean, variance = tf.nn.moments(tf.constant(x), axes=[0])
    want = tf.nn.batch_normalization(tf.constant(x), mean, variance, offset=beta, scale=gamma,
                                     variance_epsilon=1e-3)
    np.testing.assert_allclose(np.asarray(layer(x, training=True)), np.asarray(want),
                               atol=ATOL_KERAS)


def test_gradients_match_keras_layer():
    import tensorflow as tf
    shape = (12, 3, 3, 4)
    x = tf.constant(_data(shape))
    upstream = tf.constant(RNG.normal(size=shape).astype("float32"))
    grads = []
    for layer in (BatchNormalization(momentum=0.9), keras.layers.BatchNormalization(momentum=0.9)):
        layer.build(shape)
        _set_gamma_beta(layer, 4)
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, training=True) * upstream)
        grads.append(tape.gradient(loss, [x, layer.gamma, layer.beta]))
    for name, ours, theirs in zip(["x", "gamma", "beta"], *grads):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), atol=1e-4,
                                   err_msg=f"d loss / d {name}")  # sums of 108 products


def test_trainable_false_forces_inference_mode():
    x = _data((8, 3))
    layer = BatchNormalization()
    layer.build(x.shape)
    layer.trainable = False
    y = np.asarray(layer(x, training=True))
    np.testing.assert_allclose(y, x / np.sqrt(1 + 1e-3), atol=1e-5)
    np.testing.assert_array_equal(np.asarray(layer.moving_mean), 0.0)


def _two_bn_model(features=4, hidden=3):
    inputs = keras.Input((features,))
    h = BatchNormalization(name="bn_in", epsilon=1e-3)(inputs)
    dense = keras.layers.Dense(hidden, name="dense")
    h = dense(h)
    h = keras.layers.Dropout(0.5)(h)  # must be off during calibration
    outputs = BatchNormalization(name="bn_hidden", epsilon=1e-3)(h)
    return keras.Model(inputs, outputs)


def test_population_statistics_equal_numpy_algorithm2():
    model = _two_bn_model()
    bn_in, bn_hidden = model.get_layer("bn_in"), model.get_layer("bn_hidden")
    gamma, beta = _set_gamma_beta(bn_in, 4)
    g2, b2 = _set_gamma_beta(bn_hidden, 3, seed=2)
    kernel, bias = (np.asarray(w, np.float64) for w in model.get_layer("dense").get_weights())
    batches = [_data((8, 4), loc=1.0, scale=3.0) for _ in range(10)]  # m = 8

    counts = calibrate_population_statistics(model, batches)

    assert counts == {"bn_in": 10, "bn_hidden": 10}
    e_x, var_x = ref.algorithm2_population(batches)
    np.testing.assert_allclose(np.asarray(bn_in.population_mean), e_x, atol=ATOL_REF)
    np.testing.assert_allclose(np.asarray(bn_in.population_variance), var_x, rtol=1e-5)
    # The hidden BN sees the first BN's training transform of each batch.
    hidden = [ref.algorithm1(b, gamma, beta, 1e-3) @ kernel + bias for b in batches]
    e_h, var_h = ref.algorithm2_population(hidden)
    np.testing.assert_allclose(np.asarray(bn_hidden.population_mean), e_h, atol=ATOL_REF)
    np.testing.assert_allclose(np.asarray(bn_hidden.population_variance), var_h, rtol=1e-5)
    # The moving averages were not touched by the calibration pass.
    np.testing.assert_array_equal(np.asarray(bn_in.moving_mean), 0.0)
    # Inference now uses Algorithm 2, line 11.
    assert bn_in.inference == "population" and bn_in.calibrated
    x = _data((5, 4))
    want = ref.algorithm2_inference(ref.algorithm2_inference(x, gamma, beta, e_x, var_x, 1e-3)
                                    @ kernel + bias, g2, b2, e_h, var_h, 1e-3)
    np.testing.assert_allclose(np.asarray(model(x)), want, atol=1e-4)  # through a Dense layer
    np.testing.assert_allclose(model.predict(x, verbose=0), want, atol=1e-4)


def test_population_statistics_after_conv_count_m_as_n_h_w():
    inputs = keras.Input((4, 4, 3))
    outputs = BatchNormalization(name="bn")(inputs)
    model = keras.Model(inputs, outputs)
    x = _data((24, 4, 4, 3))
    calibrate_population_statistics(model, x, batch_size=6)  # 4 batches, m = 6*4*4 = 96
    e_x, var_x = ref.algorithm2_population([x[i:i + 6] for i in range(0, 24, 6)])
    layer = model.get_layer("bn")
    np.testing.assert_allclose(np.asarray(layer.population_mean), e_x, atol=ATOL_REF)
    np.testing.assert_allclose(np.asarray(layer.population_variance), var_x, rtol=1e-5)
    # m is N*H*W = 96, not the batch size 6: the batch-size factor 6/5 would be 14% off.
    biased = np.mean([ref.batch_moments(x[i:i + 6])[1] for i in range(0, 24, 6)], axis=0)
    assert not np.allclose(np.asarray(layer.population_variance), biased * 6 / 5, rtol=1e-2)


def test_population_statistics_callback_after_fit():
    x = _data((64, 4))
    y = RNG.normal(size=(64, 3)).astype("float32")
    model = _two_bn_model()
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    callback = PopulationStatistics(x, batch_size=16)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[callback])
    assert callback.counts == {"bn_in": 4, "bn_hidden": 4}
    e_x, var_x = ref.algorithm2_population([x[i:i + 16] for i in range(0, 64, 16)])
    np.testing.assert_allclose(np.asarray(model.get_layer("bn_in").population_mean), e_x,
                               atol=ATOL_REF)
    np.testing.assert_allclose(np.asarray(model.get_layer("bn_in").population_variance), var_x,
                               rtol=1e-5)


def test_config_round_trip():
    layer = BatchNormalization(axis=1, momentum=0.5, epsilon=1e-5, center=False,
                               inference="population", gamma_initializer="random_normal")
    config = layer.get_config()
    clone = BatchNormalization.from_config(config)
    assert clone.get_config() == config
    clone.build((2, 3, 4))
    assert clone.beta is None and tuple(clone.gamma.shape) == (3,)


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match=r"`momentum` must be in \[0.0, 1.0\). Received: momentum=1"):
        BatchNormalization(momentum=1)
    with pytest.raises(ValueError, match=r"`inference` must be one of \['moving', 'population'\]. "
                       r"Received: inference='ema'"):
        BatchNormalization(inference="ema")
    with pytest.raises(ValueError, match=r"`epsilon` must be in \[0.0, inf.. Received: epsilon=-0.1"):
        BatchNormalization(epsilon=-0.1)
    with pytest.raises(ValueError, match=r"`axis` must be an integer in \[-2, 1\]. Received: axis=3"):
        BatchNormalization(axis=3).build((4, 5))
    with pytest.raises(ValueError, match=r"number of tfcourse BatchNormalization layers in `model`"):
        calibrate_population_statistics(keras.Sequential([keras.Input((2,)),
                                                          keras.layers.Dense(1)]), [np.ones((2, 2))])
    with pytest.raises(ValueError, match=r"`steps` must be an integer in \[1, inf\)"):
        PopulationStatistics(np.ones((4, 2)), steps=0)


def test_synchronized_is_a_saved_option_and_refused_outside_tensorflow(monkeypatch):
    layer = BatchNormalization(synchronized=True)
    assert BatchNormalization.from_config(layer.get_config()).synchronized is True
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(ValueError, match=r"`synchronized` must be one of \[False\] when "
                                         r"backend='jax'. Received: synchronized=True"):
        BatchNormalization(synchronized=True)
    with pytest.raises(TypeError, match=r"`synchronized` must be True or False. "
                                        r"Received: synchronized='yes'"):
        BatchNormalization(synchronized="yes")


def test_statistics_are_float32_and_updated_in_float32_under_mixed_float16():
    """The batch mean 1.5 + 2**-11 is not a float16 (whose step at 1.5 is 2**-10),
    nor is 0.75 + 2**-12: a float16 moving average would lose it; float32 keeps it."""
    layer = BatchNormalization(momentum=0.5, dtype="mixed_float16")
    x = np.array([[1.5], [1.5 + 2**-10]], "float32")  # both float16 values
    layer(x, training=True)
    for weight in (layer.gamma, layer.beta, layer.moving_mean, layer.moving_variance,
                   layer.population_mean, layer.population_variance):
        assert weight.dtype == "float32"
    assert float(np.asarray(layer.moving_mean)[0]) == 0.5 * (1.5 + 2**-11)
