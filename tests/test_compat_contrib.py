"""tfcourse.compat's tf.contrib.layers against NumPy: batch_norm, conv2d, pools, dropout.

batch_norm is checked against tests/references/batch_norm.py (Algorithm 1 of the
batch normalization paper) and TF1's update rule, written out in each test:
moving -= (moving - batch statistic) * (1 - decay), with the unbiased m/(m-1)
batch variance where TF1 used its fused kernel (inputs of rank 2 and 4).
"""

import numpy as np
import pytest
import tensorflow as tf

from tests.references import batch_norm as bn_ref
from tfcourse.compat import legacy_graph
from tfcourse.compat.layer_calls import layer_calls

# float64 sums of <= 64 values and one rsqrt: ~1e-15 relative.
FLOAT64 = {"rtol": 1e-12, "atol": 1e-12}


@pytest.fixture(autouse=True)
def still_eager_afterwards():
    yield
    assert tf.executing_eagerly(), "graph mode leaked out of the test"


@pytest.fixture
def v1():
    with legacy_graph(seed=2):
        import tfcourse.compat.v1 as tf1

        yield tf1


def _var(tf1, name):
    (variable,) = [v for v in tf1.global_variables() if v.op.name == name]
    return variable


def _same(first, second):
    return len(first) == len(second) and all(a is b for a, b in zip(first, second))


X = np.random.default_rng(4).normal(2.0, 3.0, size=(16, 3))


def test_batch_norm_defaults_names_and_fused_update(v1):
    y = v1.contrib.layers.batch_norm(v1.constant(X))  # is_training=True, decay 0.999, no gamma
    assert sorted(v.op.name for v in v1.global_variables()) == [
        "BatchNorm/beta", "BatchNorm/moving_mean", "BatchNorm/moving_variance"]
    assert [v.op.name for v in v1.trainable_variables()] == ["BatchNorm/beta"]
    assert len(v1.get_collection(v1.GraphKeys.MODEL_VARIABLES)) == 3
    updates = v1.get_collection(v1.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2
    beta = np.array([0.5, -1.0, 2.0])
    mu_b, sigma2_b, m = bn_ref.batch_moments(X)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        _var(v1, "BatchNorm/beta").load(beta, sess)
        np.testing.assert_allclose(sess.run(y), bn_ref.algorithm1(X, np.ones(3), beta, 1e-3), **FLOAT64)
        sess.run(updates)
        moving_mean, moving_variance = sess.run([_var(v1, "BatchNorm/moving_mean"),
                                                 _var(v1, "BatchNorm/moving_variance")])
    np.testing.assert_allclose(moving_mean, 0.001 * mu_b, **FLOAT64)
    # Rank 2 took TF1's fused kernel: the moving variance sees m/(m-1) var_B.
    np.testing.assert_allclose(moving_variance, 0.999 + 0.001 * sigma2_b * m / (m - 1), **FLOAT64)


@pytest.mark.parametrize("rank,fused,unbiased", [(2, False, False), (3, None, False), (4, None, True)])
def test_batch_norm_variance_update_follows_tf1s_kernel_choice(rank, fused, unbiased, v1):
    x = np.random.default_rng(rank).normal(size=(4, 3, 2, 5)[:rank - 1] + (5,))
    v1.contrib.layers.batch_norm(v1.constant(x), decay=0.0, fused=fused)
    flat = x.reshape(-1, 5)
    m = flat.shape[0]
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        sess.run(v1.get_collection(v1.GraphKeys.UPDATE_OPS))
        moving_variance = sess.run(_var(v1, "BatchNorm/moving_variance"))
    expected = flat.var(axis=0) * (m / (m - 1) if unbiased else 1.0)  # decay 0: the batch value
    np.testing.assert_allclose(moving_variance, expected, **FLOAT64)


def test_batch_norm_in_place_updates_and_is_training_placeholder(v1):
    training = v1.placeholder(v1.bool)
    y = v1.contrib.layers.batch_norm(v1.constant(X), decay=0.9, scale=True, is_training=training,
                                     updates_collections=None, epsilon=1e-4)
    assert v1.get_collection(v1.GraphKeys.UPDATE_OPS) == []
    assert sorted(v.op.name for v in v1.trainable_variables()) == ["BatchNorm/beta", "BatchNorm/gamma"]
    gamma = np.array([2.0, 0.5, 1.5])
    mu_b, sigma2_b, m = bn_ref.batch_moments(X)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        _var(v1, "BatchNorm/gamma").load(gamma, sess)
        np.testing.assert_allclose(sess.run(y, {training: True}),
                                   bn_ref.algorithm1(X, gamma, np.zeros(3), 1e-4), **FLOAT64)
        # The run itself updated the moving averages (updates_collections=None).
        mean_1 = 0.1 * mu_b
        variance_1 = 0.9 + 0.1 * sigma2_b * m / (m - 1)
        np.testing.assert_allclose(sess.run(_var(v1, "BatchNorm/moving_mean")), mean_1, **FLOAT64)
        np.testing.assert_allclose(sess.run(_var(v1, "BatchNorm/moving_variance")), variance_1,
                                   **FLOAT64)
        inference = sess.run(y, {training: False})
        np.testing.assert_allclose(sess.run(_var(v1, "BatchNorm/moving_mean")), mean_1, **FLOAT64)
    np.testing.assert_allclose(
        inference, bn_ref.algorithm2_inference(X, gamma, np.zeros(3), mean_1, variance_1, 1e-4), **FLOAT64)


def test_batch_norm_nchw_normalizes_axis_1_and_fused_epsilon_floor(v1):
    x = np.random.default_rng(9).normal(size=(2, 3, 4, 4))
    y = v1.contrib.layers.batch_norm(v1.constant(x), data_format="NCHW", center=False, epsilon=1e-8)
    assert [v.op.name for v in v1.global_variables()] == ["BatchNorm/moving_mean",
                                                          "BatchNorm/moving_variance"]
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        got = sess.run(y)
    # TF1's fused kernel (rank 4) raised epsilon to 1.001e-5.
    np.testing.assert_allclose(got, bn_ref.algorithm1(x, np.ones(3), np.zeros(3), 1.001e-5, axis=1),
                               **FLOAT64)


def test_fully_connected_with_batch_norm_normalizer(v1):
    x = v1.placeholder(v1.float64, [None, 3])
    training = v1.placeholder(v1.bool)
    h = v1.contrib.layers.fully_connected(
        x, 4, normalizer_fn=v1.contrib.layers.batch_norm,
        normalizer_params={"is_training": training, "decay": 0.9})
    assert sorted(v.op.name for v in v1.global_variables()) == [
        "fully_connected/BatchNorm/beta", "fully_connected/BatchNorm/moving_mean",
        "fully_connected/BatchNorm/moving_variance", "fully_connected/weights"]  # no biases
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        got = sess.run(h, {x: X, training: True})
        weights = sess.run(_var(v1, "fully_connected/weights"))
    z = X @ weights
    np.testing.assert_allclose(got, np.maximum(bn_ref.algorithm1(z, np.ones(4), np.zeros(4), 1e-3), 0),
                               **FLOAT64)
    calls = layer_calls(v1.get_default_graph())
    assert [c.kind for c in calls] == ["tf.contrib.layers.batch_norm", "tf.contrib.layers.fully_connected"]
    assert calls[0].training is training and calls[0].config["decay"] == 0.9
    assert calls[1].config["normalizer_fn"] == "tf.contrib.layers.batch_norm"
    assert calls[1].config["use_bias"] is False and calls[1].config["activation"] == "relu"
    assert calls[1].variables == {"kernel": _var(v1, "fully_connected/weights")}


def _conv_same(x, k, stride):
    """'SAME' convolution as nested sums: x (N,H,W,C), k (kh,kw,C,F), TF's padding split."""
    kh, kw = k.shape[:2]
    out_h, out_w = -(-x.shape[1] // stride), -(-x.shape[2] // stride)
    pad_h = max((out_h - 1) * stride + kh - x.shape[1], 0)
    pad_w = max((out_w - 1) * stride + kw - x.shape[2], 0)
    padded = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    out = np.zeros((x.shape[0], out_h, out_w, k.shape[3]))
    for i in range(out_h):
        for j in range(out_w):
            patch = padded[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j, :] = np.tensordot(patch, k, axes=([1, 2, 3], [0, 1, 2]))
    return out


def test_conv2d_pools_flatten_against_numpy(v1):
    x = np.random.default_rng(3).normal(size=(2, 6, 6, 3))
    conv = v1.contrib.layers.conv2d(v1.constant(x), 4, 3)  # SAME, stride 1, relu by default
    strided = v1.contrib.layers.conv2d(conv, 2, [3, 2], stride=2, activation_fn=None,
                                       biases_initializer=v1.constant_initializer(0.25))
    max_pooled = v1.contrib.layers.max_pool2d(conv, 2)          # stride 2, VALID by default
    avg_pooled = v1.contrib.layers.avg_pool2d(conv, [3, 3], stride=1, padding="SAME")
    flat = v1.contrib.layers.flatten(max_pooled)
    assert [v.op.name for v in v1.trainable_variables()] == [
        "Conv/weights", "Conv/biases", "Conv_1/weights", "Conv_1/biases"]
    assert max_pooled.shape.as_list() == [2, 3, 3, 4] and flat.shape.as_list() == [2, 36]
    assert strided.shape.as_list() == [2, 3, 3, 2] and avg_pooled.shape.as_list() == [2, 6, 6, 4]
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        got_conv, got_strided, got_flat, got_avg, k0, k1 = sess.run(
            [conv, strided, flat, avg_pooled, _var(v1, "Conv/weights"), _var(v1, "Conv_1/weights")])
    want_conv = np.maximum(_conv_same(x, k0, 1), 0)
    np.testing.assert_allclose(got_conv, want_conv, **FLOAT64)
    np.testing.assert_allclose(got_strided, _conv_same(want_conv, k1, 2) + 0.25, **FLOAT64)
    pooled = want_conv.reshape(2, 3, 2, 3, 2, 4).max(axis=(2, 4))
    np.testing.assert_allclose(got_flat, pooled.reshape(2, -1), **FLOAT64)
    # 'SAME' average pooling divides by the number of values inside the image.
    padded = np.pad(want_conv, ((0, 0), (1, 1), (1, 1), (0, 0)))
    ones = np.pad(np.ones((1, 6, 6, 1)), ((0, 0), (1, 1), (1, 1), (0, 0)))
    sums = sum(padded[:, i:i + 6, j:j + 6] for i in range(3) for j in range(3))
    counts = sum(ones[:, i:i + 6, j:j + 6] for i in range(3) for j in range(3))
    np.testing.assert_allclose(got_avg, sums / counts, **FLOAT64)


def test_dropout_keeps_with_keep_prob_while_training(v1):
    x = np.ones((200, 50))
    keep_prob = v1.placeholder(v1.float64)
    default = v1.contrib.layers.dropout(x, keep_prob=0.8)             # is_training=True by default
    off = v1.contrib.layers.dropout(x, keep_prob=0.8, is_training=False)
    fed = v1.contrib.layers.dropout(x, keep_prob=keep_prob)
    with v1.Session() as sess:
        dropped = sess.run(default)
        np.testing.assert_array_equal(sess.run(off), x)
        half = sess.run(fed, {keep_prob: 0.5})
    assert set(np.unique(dropped)) <= {0.0, 1 / 0.8}  # kept units scaled by 1/keep_prob
    assert abs((dropped > 0).mean() - 0.8) < 0.02  # 10000 draws: std of the kept share 0.004
    assert set(np.unique(half)) <= {0.0, 2.0} and abs((half > 0).mean() - 0.5) < 0.03


def test_l2_regularizer_adds_half_squared_norm_to_regularization_losses(v1):
    x = v1.constant(X)
    v1.contrib.layers.fully_connected(x, 2, weights_regularizer=v1.contrib.layers.l2_regularizer(0.1))
    (loss,) = v1.get_collection(v1.GraphKeys.REGULARIZATION_LOSSES)
    with v1.Session() as sess:
        sess.run(v1.global_variables_initializer())
        got, weights = sess.run([loss, _var(v1, "fully_connected/weights")])
    np.testing.assert_allclose(got, 0.1 * np.sum(weights ** 2) / 2, **FLOAT64)


def test_each_contrib_layer_function_records_one_layer_call(v1):
    graph = v1.get_default_graph()
    images = v1.placeholder(v1.float32, [None, 8, 8, 1])
    training = v1.placeholder(v1.bool)
    conv = v1.contrib.layers.conv2d(images, 2, 3, padding="VALID")
    pooled = v1.contrib.layers.max_pool2d(conv, 2)
    averaged = v1.contrib.layers.avg_pool2d(pooled, 1, stride=1)
    normalized = v1.contrib.layers.batch_norm(averaged, is_training=training, scale=True)
    flat = v1.contrib.layers.flatten(normalized)
    dense = v1.contrib.layers.fully_connected(flat, 3, activation_fn=v1.nn.sigmoid)
    dropped = v1.contrib.layers.dropout(dense, keep_prob=0.5, is_training=training)
    calls = layer_calls(graph)
    assert [c.kind.rsplit(".", 1)[1] for c in calls] == [
        "conv2d", "max_pool2d", "avg_pool2d", "batch_norm", "flatten", "fully_connected", "dropout"]
    chain = [images, conv, pooled, averaged, normalized, flat, dense, dropped]
    for call, source, result in zip(calls, chain, chain[1:]):
        assert _same(call.inputs, (source,)) and _same(call.outputs, (result,)), call.kind
    conv_call, max_call, _, bn_call, _, dense_call, dropout_call = calls
    assert conv_call.variables == {"kernel": _var(v1, "Conv/weights"), "bias": _var(v1, "Conv/biases")}
    assert conv_call.config["filters"] == 2 and conv_call.config["kernel_size"] == (3, 3)
    assert conv_call.config["padding"] == "valid" and conv_call.config["activation"] == "relu"
    assert max_call.config == {"pool_size": (2, 2), "strides": (2, 2), "padding": "valid",
                               "data_format": "NHWC"}
    assert bn_call.variables == {name: _var(v1, f"BatchNorm/{name}") for name in (
        "beta", "gamma", "moving_mean", "moving_variance")}
    assert bn_call.training is training and bn_call.config["fused"] is True
    assert bn_call.config["updates_collections"] == [v1.GraphKeys.UPDATE_OPS]
    assert dense_call.config["units"] == 3 and dense_call.config["activation"] == "sigmoid"
    assert dropout_call.config["keep_prob"] == 0.5 and dropout_call.training is training
    assert dropout_call.variables == {}


def test_bad_contrib_arguments_are_named(v1):
    x = v1.zeros([4, 3])
    with pytest.raises(ValueError, match=r"`renorm` does not apply in tfcourse\.compat's "
                                         r"tf\.contrib\.layers\.batch_norm .* Received: renorm=True"):
        v1.contrib.layers.batch_norm(x, renorm=True)
    with pytest.raises(ValueError, match=r"`decay` must be in \[0\.0, 1\.0\]\. Received: decay=1\.5"):
        v1.contrib.layers.batch_norm(x, decay=1.5)
    with pytest.raises(ValueError, match=r"`data_format` must be one of \['NHWC', 'NCHW'\]\. "
                                         r"Received: data_format='channels_last'"):
        v1.contrib.layers.batch_norm(x, data_format="channels_last")
    with pytest.raises(ValueError, match=r"`padding` must be one of \['SAME', 'VALID'\]\. "
                                         r"Received: padding='FULL'"):
        v1.contrib.layers.conv2d(v1.zeros([1, 4, 4, 1]), 2, 3, padding="full")
    with pytest.raises(ValueError, match=r"`keep_prob` must be in \(0\.0, 1\.0\]\. Received: keep_prob=0"):
        v1.contrib.layers.dropout(x, keep_prob=0)
    with pytest.raises(ValueError, match=r"`kernel_size` must be an integer in \[1, inf\)\. "
                                         r"Received: kernel_size=0"):
        v1.contrib.layers.max_pool2d(v1.zeros([1, 4, 4, 1]), 0)
