"""tfcourse.compat's rebuilt TF1 pieces against NumPy: contrib initializers, tf.layers.

Every test builds its graph inside ``legacy_graph()``, and the autouse fixture
checks that the process is still eager afterwards (graph mode must not leak
into the Keras tests that share this pytest process).
"""

import math

import numpy as np
import pytest
import tensorflow as tf

from tfcourse.compat import legacy_graph


@pytest.fixture(autouse=True)
def still_eager_afterwards():
    yield
    assert tf.executing_eagerly(), "graph mode leaked out of the test"


@pytest.fixture
def v1():
    with legacy_graph(seed=1):
        import tfcourse.compat.v1 as tf1

        yield tf1


def _var(tf1, name):
    """The graph variable called ``name`` (fetching "name:0" would give a resource handle)."""
    (variable,) = [v for v in tf1.global_variables() if v.op.name == name]
    return variable


def _run(tf1, fetches, feed=None):
    with tf1.Session() as sess:
        sess.run(tf1.global_variables_initializer())
        return sess.run(fetches, feed)


# -- contrib initializers ----------------------------------------------------------------


def test_xavier_uniform_fills_glorot_interval(v1):
    shape = (300, 200)
    w = _run(v1, v1.get_variable("W", shape, initializer=v1.contrib.layers.xavier_initializer()))
    limit = math.sqrt(6.0 / (300 + 200))
    assert np.abs(w).max() <= limit
    # U(-L, L) has std L/sqrt(3); 60000 samples: relative error of the std about 0.3%.
    np.testing.assert_allclose(w.std(), limit / math.sqrt(3), rtol=0.02)
    assert np.abs(w).max() > 0.99 * limit


def test_xavier_normal_uses_contrib_1_3_factor(v1):
    init = v1.contrib.layers.xavier_initializer(uniform=False)
    w = _run(v1, v1.get_variable("W", (400, 400), initializer=init))
    stddev = math.sqrt(1.3 / 400)  # contrib: sqrt(1.3 * factor / n), n = (fan_in + fan_out)/2
    assert np.abs(w).max() <= 2 * stddev + 1e-7  # truncated at two standard deviations
    # The std of N(0, s) cut at +-2s is 0.8796 s; 160000 samples give ~0.2% error.
    np.testing.assert_allclose(w.std(), 0.87962566 * stddev, rtol=0.01)


def test_variance_scaling_defaults_are_he_truncated_on_fan_in_of_a_conv_kernel(v1):
    init = v1.contrib.layers.variance_scaling_initializer()
    w = _run(v1, v1.get_variable("K", (5, 5, 16, 32), initializer=init))
    fan_in = 5 * 5 * 16  # conv kernels multiply the fans by the receptive field
    stddev = math.sqrt(1.3 * 2.0 / fan_in)
    np.testing.assert_allclose(w.std(), 0.87962566 * stddev, rtol=0.02)
    assert np.abs(w).max() <= 2 * stddev + 1e-7


def test_variance_scaling_fan_out_uniform(v1):
    init = v1.contrib.layers.variance_scaling_initializer(factor=1.0, mode="FAN_OUT", uniform=True)
    w = _run(v1, v1.get_variable("W", (100, 600), initializer=init))
    limit = math.sqrt(3.0 / 600)
    assert np.abs(w).max() <= limit
    np.testing.assert_allclose(w.std(), limit / math.sqrt(3), rtol=0.02)


def test_variance_scaling_rejects_bad_mode_and_dtype(v1):
    layers = v1.contrib.layers
    with pytest.raises(ValueError, match=r"`mode` must be one of \['FAN_IN', 'FAN_OUT', 'FAN_AVG'\]\. Received: mode='fan_avg'"):
        layers.variance_scaling_initializer(mode="fan_avg")
    with pytest.raises(TypeError, match=r"`dtype` must be a floating point type .* Received: dtype='int32'"):
        layers.xavier_initializer(dtype=v1.int32)
    with pytest.raises(ValueError, match=r"`factor` must be in \[0.0, inf[)\]]. Received: factor=-1"):
        layers.variance_scaling_initializer(factor=-1)


def test_fully_connected_names_and_math(v1):
    x = np.arange(6, dtype=np.float32).reshape(2, 3) / 6
    inputs = v1.constant(x)
    first = v1.contrib.layers.fully_connected(inputs, 4)
    second = v1.contrib.layers.fully_connected(first, 2, activation_fn=None)
    names = sorted(v.op.name for v in v1.trainable_variables())
    assert names == ["fully_connected/biases", "fully_connected/weights",
                     "fully_connected_1/biases", "fully_connected_1/weights"]
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        out1, out2, w1, w2 = sess.run([first, second] + [
            v for v in v1.trainable_variables() if v.op.name.endswith("weights")])
    # Biases start at 0. A sum of three float32 products can cancel to a small value whose
    # rounding (TF and NumPy may add in another order, with or without FMA) is ~1 ulp of the
    # products (~3e-8), so an absolute term as well as rtol 1e-6.
    np.testing.assert_allclose(out1, np.maximum(x @ w1, 0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out2, out1 @ w2, rtol=1e-5, atol=1e-7)


def test_unsupported_contrib_names_their_replacement(v1):
    with pytest.raises(AttributeError, match=r"tf\.contrib\.slim is not available.*keras\.layers \(Conv2D"):
        v1.contrib.slim
    with pytest.raises(AttributeError, match=r"tf\.contrib\.layers\.layer_norm .*keras\.layers\.LayerNormalization"):
        v1.contrib.layers.layer_norm
    with pytest.raises(AttributeError, match=r"tf\.layers\.Dense .*keras\.layers\.Dense"):
        v1.layers.Dense
    with pytest.raises(AttributeError, match=r"tf\.estimator is not available.*Model\.fit"):
        v1.estimator


# -- tf.layers ------------------------------------------------------------------------------


def test_dense_names_like_tf1_and_computes_x_w_plus_b(v1):
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    h = v1.layers.dense(v1.constant(x), 4, activation=v1.nn.relu)
    y = v1.layers.dense(h, 2, bias_initializer=v1.constant_initializer(0.5))
    names = sorted(v.op.name for v in v1.trainable_variables())
    assert names == ["dense/bias", "dense/kernel", "dense_1/bias", "dense_1/kernel"]
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        k0, k1, h_val, y_val = sess.run([_var(v1, "dense/kernel"), _var(v1, "dense_1/kernel"), h, y])
    np.testing.assert_allclose(h_val, np.maximum(x @ k0, 0), rtol=1e-6)
    np.testing.assert_allclose(y_val, h_val @ k1 + 0.5, rtol=1e-5)
    # Glorot uniform by default: |k| <= sqrt(6 / (fan_in + fan_out)).
    assert np.abs(k0).max() <= math.sqrt(6 / 7)


def test_dense_on_rank_3_inputs_multiplies_the_last_axis(v1):
    x = np.ones((2, 3, 4), np.float32)
    y = v1.layers.dense(v1.constant(x), 5, use_bias=False)
    assert y.shape.as_list() == [2, 3, 5]
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        y_val, k = sess.run([y, _var(v1, "dense/kernel")])
    np.testing.assert_allclose(y_val, x @ k, rtol=1e-6)


def test_dropout_is_identity_unless_training(v1):
    x = np.ones((200, 50), np.float32)
    training = v1.placeholder(v1.bool)
    default = v1.layers.dropout(x, rate=0.2)
    switched = v1.layers.dropout(x, rate=0.2, training=training)
    with v1.Session() as sess:
        np.testing.assert_array_equal(sess.run(default), x)  # training=False by default
        np.testing.assert_array_equal(sess.run(switched, {training: False}), x)
        dropped = sess.run(switched, {training: True})
    assert set(np.unique(dropped)) <= {0.0, np.float32(1 / 0.8)}  # kept units scaled by 1/(1-rate)
    assert abs((dropped == 0).mean() - 0.2) < 0.02  # 10000 draws: std of the rate 0.004


def test_batch_normalization_training_inference_and_update_ops(v1):
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 2.0, size=(64, 6)).astype(np.float32)
    training = v1.placeholder(v1.bool)
    y = v1.layers.batch_normalization(v1.constant(x), training=training)
    assert sorted(v.op.name for v in v1.global_variables()) == [
        "batch_normalization/beta", "batch_normalization/gamma",
        "batch_normalization/moving_mean", "batch_normalization/moving_variance"]
    assert sorted(v.op.name for v in v1.trainable_variables()) == [
        "batch_normalization/beta", "batch_normalization/gamma"]
    updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    mean, var = x.mean(axis=0), x.var(axis=0)  # biased variance (Algorithm 1)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        y_train = sess.run(y, {training: True})
        # Float32 sums over 64 values: 1e-5 relative.
        np.testing.assert_allclose(y_train, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
        # Inference before any update: moving stats are 0 and 1.
        np.testing.assert_allclose(sess.run(y, {training: False}), x / np.sqrt(1 + 1e-3), rtol=1e-6)
        sess.run(updates, {training: True})
        moving_mean, moving_var = sess.run([_var(v1, "batch_normalization/moving_mean"),
                                            _var(v1, "batch_normalization/moving_variance")])
    np.testing.assert_allclose(moving_mean, 0.01 * mean, rtol=1e-5)  # 0.99 * 0 + 0.01 * mean
    np.testing.assert_allclose(moving_var, 0.99 + 0.01 * var, rtol=1e-5)


def test_batch_normalization_with_python_false_adds_no_update_ops(v1):
    v1.layers.batch_normalization(v1.zeros((4, 3)))
    assert v1.get_collection(v1.GraphKeys.UPDATE_OPS) == []


def test_batch_normalization_4d_updates_with_unbiased_variance(v1):
    x = np.random.default_rng(2).normal(size=(4, 3, 3, 2)).astype(np.float32)
    v1.layers.batch_normalization(v1.constant(x), training=True, momentum=0.0)
    m = 4 * 3 * 3
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        sess.run(v1.get_collection(v1.GraphKeys.UPDATE_OPS))
        moving_var = sess.run(_var(v1, "batch_normalization/moving_variance"))
    # TF1's fused kernel (4-D inputs) feeds the m/(m-1) variance to the moving average.
    np.testing.assert_allclose(moving_var, x.reshape(-1, 2).var(axis=0) * m / (m - 1), rtol=1e-5)


def test_batch_normalization_rejects_renorm(v1):
    with pytest.raises(ValueError, match=r"`renorm` does not apply .* Received: renorm=True"):
        v1.layers.batch_normalization(v1.zeros((2, 2)), renorm=True)


def _conv_reference(x, k):
    """'SAME' convolution (stride 1) as four nested sums: x (N,H,W,C), k (kh,kw,C,F)."""
    kh, kw = k.shape[:2]
    padded = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    out = np.zeros(x.shape[:3] + (k.shape[3],), np.float64)
    for i in range(x.shape[1]):
        for j in range(x.shape[2]):
            patch = padded[:, i:i + kh, j:j + kw, :]
            out[:, i, j, :] = np.tensordot(patch, k, axes=([1, 2, 3], [0, 1, 2]))
    return out


def test_conv2d_max_pooling2d_flatten_against_numpy(v1):
    x = np.random.default_rng(3).normal(size=(2, 6, 6, 3)).astype(np.float32)
    conv = v1.layers.conv2d(x, filters=4, kernel_size=3, padding="same")
    pool = v1.layers.max_pooling2d(conv, pool_size=2, strides=2)
    flat = v1.layers.flatten(pool)
    assert [v.op.name for v in v1.trainable_variables()] == ["conv2d/kernel", "conv2d/bias"]
    assert pool.shape.as_list() == [2, 3, 3, 4] and flat.shape.as_list() == [2, 36]
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        conv_val, flat_val, k = sess.run([conv, flat, _var(v1, "conv2d/kernel")])
    expected = _conv_reference(x, k)
    np.testing.assert_allclose(conv_val, expected, rtol=1e-4, atol=1e-5)  # float32 sums of 27 terms
    pooled = expected.reshape(2, 3, 2, 3, 2, 4).max(axis=(2, 4))
    np.testing.assert_allclose(flat_val, pooled.reshape(2, -1), rtol=1e-4, atol=1e-5)


def test_conv2d_rejects_unknown_padding(v1):
    with pytest.raises(ValueError, match=r"`padding` must be one of \['valid', 'same'\]\. Received: padding='full'"):
        v1.layers.conv2d(v1.zeros((1, 4, 4, 1)), 2, 3, padding="full")


# -- what each call records for the porter --------------------------------------------------


def _same(first, second):
    """Element-wise identity of two sequences of tensors (== on graph tensors is not a bool)."""
    return len(first) == len(second) and all(a is b for a, b in zip(first, second))


def test_each_tf_layers_function_records_one_layer_call(v1):
    from tfcourse.compat.layer_calls import layer_calls

    images = v1.placeholder(v1.float32, [None, 6, 6, 2])
    training = v1.placeholder(v1.bool)
    conv = v1.layers.conv2d(images, 3, 3, padding="same", activation=v1.nn.relu)
    pooled = v1.layers.max_pooling2d(conv, 2, 2)
    averaged = v1.layers.average_pooling2d(pooled, 3, 1, padding="same")
    normalized = v1.layers.batch_normalization(averaged, training=training, momentum=0.9)
    flat = v1.layers.flatten(normalized)
    dense = v1.layers.dense(flat, 4, activation=lambda t: v1.nn.relu(t) * 2, use_bias=False)
    dropped = v1.layers.dropout(dense, rate=0.3, training=training)
    calls = layer_calls(v1.get_default_graph())
    assert [c.kind for c in calls] == [
        "tf.layers.conv2d", "tf.layers.max_pooling2d", "tf.layers.average_pooling2d",
        "tf.layers.batch_normalization", "tf.layers.flatten", "tf.layers.dense", "tf.layers.dropout"]
    chain = [images, conv, pooled, averaged, normalized, flat, dense, dropped]
    for call, source, result in zip(calls, chain, chain[1:]):
        assert _same(call.inputs, (source,)) and _same(call.outputs, (result,)), call.kind
        assert call.location.rsplit(":", 1)[0].endswith("test_compat_layers.py"), call.location
    conv_call, max_call, avg_call, bn_call, flat_call, dense_call, dropout_call = calls
    assert conv_call.variables == {"kernel": _var(v1, "conv2d/kernel"), "bias": _var(v1, "conv2d/bias")}
    assert conv_call.config["filters"] == 3 and conv_call.config["kernel_size"] == (3, 3)
    assert conv_call.config["padding"] == "same" and conv_call.config["activation"] == "relu"
    assert conv_call.training is None
    assert max_call.config["pool_size"] == (2, 2) and avg_call.config["padding"] == "same"
    assert bn_call.variables == {name: _var(v1, f"batch_normalization/{name}") for name in (
        "gamma", "beta", "moving_mean", "moving_variance")}
    assert bn_call.training is training and bn_call.config["momentum"] == 0.9
    assert bn_call.config["axis"] == 3 and bn_call.config["unbiased_variance_update"] is True
    assert flat_call.variables == {} and flat_call.config == {"data_format": "channels_last"}
    assert dense_call.variables == {"kernel": _var(v1, "dense/kernel")}
    assert dense_call.config["activation"] == "custom" and dense_call.config["use_bias"] is False
    assert dropout_call.config["rate"] == 0.3 and dropout_call.training is training


def test_dropout_rate_may_be_a_placeholder(v1):
    from tfcourse.compat.layer_calls import layer_calls

    rate = v1.placeholder(v1.float32)
    dropped = v1.layers.dropout(np.ones((100, 100), np.float32), rate=rate, training=True)
    with v1.Session() as sess:
        values = sess.run(dropped, {rate: 0.25})
    assert set(np.unique(values)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((values > 0).mean() - 0.75) < 0.02  # 10000 draws: std of the kept share 0.004
    assert layer_calls(v1.get_default_graph())[0].config["rate"] is rate  # recorded as given
