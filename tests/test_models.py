"""tfcourse.models: spec validation, layer order and names, initializers, presets,
a fresh-process .keras round trip of every custom object, a Fashion-MNIST fit, and
ConvSpec (the lab 11 conv nets) against TensorFlow's own conv2d / max_pool ops."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from tfcourse import initializers as I
from tfcourse import layers as L
from tfcourse.models import PRESETS, ConvSpec, MLPSpec, build_model, preset


def _names(model):
    return [layer.name for layer in model.layers]


def test_presets_are_the_course_networks():
    shapes = {name: [tuple(w.shape) for w in build_model(spec).weights] for name, spec in PRESETS.items()}
    assert shapes["softmax"] == [(784, 10), (10,)]
    assert shapes["mlp"] == [(784, 256), (256,), (256, 256), (256,), (256, 10), (10,)]
    assert shapes["homework"] == [(784, 512), (512,), (512, 512), (512,), (512, 10), (10,)]
    assert shapes["deep"][::2] == [(784, 512), (512, 512), (512, 512), (512, 512), (512, 10)]
    deep = build_model(PRESETS["deep"])
    assert [layer.keep_prob for layer in deep.layers if isinstance(layer, L.Dropout)] == [0.7] * 4
    assert isinstance(deep.get_layer("dense_1").kernel_initializer, I.Xavier)
    assert deep.get_layer("dense_1").kernel_initializer.convention == "tf1"
    # The TF1 programs draw biases from tf.random_normal (stddev 1).
    assert build_model(PRESETS["mlp"], seed=0).get_layer("dense_1").bias.numpy().std() > 0.8


def test_layer_names_and_order_for_weight_transfer():
    spec = MLPSpec(hidden_sizes=(6, 5), batch_norm=True, dropout_rate=0.2, output_activation="softmax")
    assert _names(build_model(spec)) == [
        "inputs", "dense_1", "batch_norm_1", "activation_1", "dropout_1",
        "dense_2", "batch_norm_2", "activation_2", "dropout_2", "logits", "probabilities"]
    after = build_model(spec.replace(batch_norm_position="after", output_activation=None))
    assert _names(after)[1:5] == ["dense_1", "activation_1", "batch_norm_1", "dropout_1"]
    maxout = build_model(spec.replace(activation="maxout", num_pieces=3))
    assert _names(maxout)[1:4] == ["maxout_1", "batch_norm_1", "dropout_1"]
    assert tuple(maxout.get_layer("maxout_1").kernel.shape) == (784, 18)
    # TF1 W1, b1, ... copy in by name.
    rng = np.random.default_rng(0)
    model = build_model(MLPSpec(hidden_sizes=(4,), input_size=3, num_classes=2))
    w1, b1, w2, b2 = (rng.normal(size=s).astype("float32") for s in [(3, 4), (4,), (4, 2), (2,)])
    model.get_layer("dense_1").set_weights([w1, b1])
    model.get_layer("logits").set_weights([w2, b2])
    x = rng.normal(size=(5, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), np.maximum(x @ w1 + b1, 0) @ w2 + b2,
                               rtol=1e-5, atol=1e-6)  # float32 matmuls of O(1) values


@pytest.mark.parametrize("activation,layer_type", [("leaky_relu", keras.layers.LeakyReLU),
                                                   ("prelu", keras.layers.PReLU),
                                                   ("elu", keras.layers.ELU)])
def test_activation_choice(activation, layer_type):
    layer = build_model(MLPSpec(hidden_sizes=(3,), activation=activation)).get_layer("activation_1")
    assert isinstance(layer, layer_type)
    if activation == "leaky_relu":
        assert layer.negative_slope == 0.01  # the course's slope, not Keras's 0.3


def test_per_layer_initializers_and_distinct_seeds():
    spec = MLPSpec(hidden_sizes=(50, 50), input_size=50,
                   kernel_initializer=["he", I.RandomNormal(0.01, seed=3), "zeros"],
                   bias_initializer="random_normal")
    model = build_model(spec, seed=7)
    k1, k2, k3 = (model.get_layer(n).kernel.numpy() for n in ("dense_1", "dense_2", "logits"))
    assert isinstance(model.get_layer("dense_1").kernel_initializer, I.He)
    assert abs(k2.std() - 0.01) < 0.001 and not k3.any()
    # One named initializer for several layers: each layer gets its own seed.
    b1, b2 = model.get_layer("dense_1").bias.numpy(), model.get_layer("dense_2").bias.numpy()
    assert not np.array_equal(b1, b2)
    # Same seed, same model.
    again = build_model(spec, seed=7)
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    # One seeded object shared by all layers would repeat its values; it is reseeded per layer.
    shared = build_model(MLPSpec(hidden_sizes=(50,), input_size=50, num_classes=50,
                                 kernel_initializer=I.He("course", seed=1)))
    assert not np.array_equal(shared.get_layer("dense_1").kernel.numpy(),
                              shared.get_layer("logits").kernel.numpy())


def test_spec_accepts_plain_values_and_is_hashable():
    spec = MLPSpec(hidden_sizes=[8, 4], kernel_initializer=["xavier", "he", "glorot_uniform"],
                   keep_prob=1)
    assert spec.hidden_sizes == (8, 4) and isinstance(spec.kernel_initializer, tuple)
    assert hash(spec) == hash(MLPSpec(hidden_sizes=(8, 4), kernel_initializer=("xavier", "he",
                                                                               "glorot_uniform"),
                                      keep_prob=1))
    assert not spec.has_dropout  # keep_prob 1 keeps everything
    assert preset("deep", keep_prob=None, dropout_rate=0.5).dropout_rate == 0.5


@pytest.mark.parametrize("kwargs,error,message", [
    ({"hidden_sizes": (256, 0)}, ValueError,
     r"`hidden_sizes\[1\]` must be an integer in \[1, inf\). Received: hidden_sizes\[1\]=0"),
    ({"hidden_sizes": 256}, ValueError,
     r"`type\(hidden_sizes\)` must be one of \['tuple', 'list'\]. Received: type\(hidden_sizes\)='int'"),
    ({"activation": "swish"}, ValueError, r"`activation` must be one of \[.*\]. Received: activation='swish'"),
    ({"batch_norm_position": "middle"}, ValueError,
     r"`batch_norm_position` must be one of \['before', 'after'\]"),
    ({"dropout_rate": 0.5, "keep_prob": 0.5}, ValueError,
     r"MLPSpec needs exactly one of `dropout_rate` or `keep_prob`"),
    ({"keep_prob": 0}, ValueError, r"`keep_prob` must be in \(0.0, 1.0\]. Received: keep_prob=0"),
    ({"dropout_rate": 1}, ValueError, r"`dropout_rate` must be in \[0.0, 1.0\). Received: dropout_rate=1"),
    ({"kernel_initializer": ("he", "he")}, ValueError,
     r"`len\(kernel_initializer\)` must be an integer in \[3, 3\]. Received: len\(kernel_initializer\)=2"),
    ({"batch_norm": "yes"}, TypeError, r"`batch_norm` must be True or False"),
    ({"output_activation": "relu"}, ValueError, r"`output_activation` must be one of"),
])
def test_bad_spec_raises_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        MLPSpec(**kwargs)


def test_bad_preset_and_seed():
    with pytest.raises(ValueError, match=r"`preset` must be one of \['softmax', 'mlp', 'deep', 'homework'\]"):
        preset("resnet")
    with pytest.raises(ValueError, match=r"`seed` must be an integer in \[0, inf\). Received: seed=-1"):
        build_model(MLPSpec(), seed=-1)


def _course_components_spec(batch_norm=True, input_size=784):
    return MLPSpec(input_size=input_size, hidden_sizes=(64, 32), activation="maxout", num_pieces=2,
                   kernel_initializer=["he", "he_keras", "xavier"], bias_initializer="zeros",
                   batch_norm=batch_norm, keep_prob=0.8)


def _course_optimizer(steps_per_epoch):
    from tfcourse.schedules import InverseTimeEpochDecay

    schedule = InverseTimeEpochDecay(0.01, decay_rate=0.5, steps_per_epoch=steps_per_epoch)
    try:
        from tfcourse.optimizers import Adam
    except ImportError:  # written in parallel; the schedule must work with Keras's optimizer too
        return keras.optimizers.SGD(learning_rate=schedule, momentum=0.9)
    return Adam(learning_rate=schedule)


def test_fresh_process_keras_round_trip_of_every_custom_object(tmp_path):
    from tfcourse.schedules import StaircaseDecay

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 12)).astype("float32")
    y = rng.integers(0, 3, size=64)
    spec = MLPSpec(input_size=12, hidden_sizes=(8, 6), num_classes=3,
                   kernel_initializer=["xavier_tf1", I.He("torch", seed=1), I.RandomNormal(0.1, seed=2)],
                   bias_initializer="random_normal", batch_norm=True, keep_prob=0.75)
    inputs = keras.Input((12,))
    body = build_model(spec, seed=3)
    h = body(inputs)
    outputs = L.Maxout(3, num_pieces=3, kernel_initializer=I.Xavier("keras", uniform=True, seed=4),
                       name="maxout_head")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=_course_optimizer(steps_per_epoch=4),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    L.calibrate_population_statistics(model, x, batch_size=16)
    assert body.get_layer("batch_norm_1").inference == "population"
    second = keras.optimizers.SGD(learning_rate=StaircaseDecay(0.1, steps_per_epoch=4))
    path = tmp_path / "course.keras"
    model.save(path)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "want.npy", model.predict(x, verbose=0))
    json.dump(keras.optimizers.serialize(second), open(tmp_path / "second.json", "w"))

    script = textwrap.dedent(f"""
        import json, numpy as np, keras
        import tfcourse.models, tfcourse.schedules  # registration happens on import
        try:
            import tfcourse.optimizers
        except ImportError:
            pass
        model = keras.saving.load_model({str(path)!r})  # no custom_objects
        got = model.predict(np.load({str(tmp_path / "x.npy")!r}), verbose=0)
        np.testing.assert_array_equal(got, np.load({str(tmp_path / "want.npy")!r}))
        body = model.layers[1]
        bn = body.get_layer("batch_norm_1")
        second = keras.optimizers.deserialize(json.load(open({str(tmp_path / "second.json")!r})))
        print(json.dumps({{
            "bn": type(bn).__module__ + "." + type(bn).__name__,
            "inference": bn.inference, "calibrated": bn.calibrated,
            "dropout_keep_prob": body.get_layer("dropout_1").keep_prob,
            "maxout": type(model.get_layer("maxout_head")).__name__,
            "kernel_inits": [type(body.get_layer(n).kernel_initializer).__name__
                             for n in ("dense_1", "dense_2", "logits")],
            "schedule": model.optimizer.get_config()["learning_rate"]["registered_name"],
            "optimizer": type(model.optimizer).__module__,
            "iterations": int(model.optimizer.iterations.numpy()),
            "second_schedule": second.get_config()["learning_rate"]["registered_name"],
        }}))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["bn"] == "tfcourse.layers.batch_normalization.BatchNormalization"
    assert report["inference"] == "population" and report["calibrated"]
    assert report["dropout_keep_prob"] == 0.75 and report["maxout"] == "Maxout"
    assert report["kernel_inits"] == ["Xavier", "He", "RandomNormal"]
    assert report["schedule"] == "tfcourse>InverseTimeEpochDecay"
    assert report["second_schedule"] == "tfcourse>StaircaseDecay"
    assert report["iterations"] == 8  # 2 epochs x 4 steps, optimizer state restored


def test_course_components_model_trains_on_fashion_mnist(fashion_mnist_dir):
    from tfcourse.data import load

    (x_train, y_train), (x_test, y_test) = load("fashion_mnist", data_dir=fashion_mnist_dir,
                                                flatten=True, num_train=4096, num_test=1000)
    keras.utils.set_random_seed(0)
    model = build_model(_course_components_spec(), seed=0)
    model.compile(optimizer=_course_optimizer(steps_per_epoch=64),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=64, epochs=2, verbose=0,
                        validation_data=(x_test, y_test),
                        callbacks=[L.PopulationStatistics(x_train, batch_size=64)])
    assert history.history["loss"][1] < history.history["loss"][0]
    # 10 classes: chance is 0.1; 4096 examples and 2 epochs reach ~0.75 (measured 0.78).
    assert history.history["val_accuracy"][-1] > 0.6
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)  # population statistics now
    assert accuracy > 0.6


def test_public_names():
    import tfcourse.models as M

    assert sorted(M.__all__) == ["ConvSpec", "MLPSpec", "PRESETS", "WeightDecay", "build_model",
                                 "preset"]


# ----------------------------------------------------------------------------
# ConvSpec: the lab 11 convolutional nets
# ----------------------------------------------------------------------------


def test_conv_layer_names_and_order():
    spec = ConvSpec(filters=(4, 8), dense_sizes=(16,), batch_norm=True, conv_dropout_rate=0.25,
                    dropout_rate=0.5, output_activation="softmax")
    assert _names(build_model(spec)) == [
        "inputs", "image",
        "conv_1", "conv_batch_norm_1", "conv_activation_1", "pool_1", "conv_dropout_1",
        "conv_2", "conv_batch_norm_2", "conv_activation_2", "pool_2", "conv_dropout_2",
        "flatten", "dense_1", "batch_norm_1", "activation_1", "dropout_1", "logits",
        "probabilities"]
    plain = build_model(ConvSpec(filters=(4,), pool=False, flat_input=False))
    assert _names(plain) == ["inputs", "conv_1", "conv_activation_1", "flatten", "logits"]
    assert plain.input_shape == (None, 28, 28, 1)
    # Under batch norm the convolutions have no bias (BN's beta plays its part).
    model = build_model(spec)
    assert model.get_layer("conv_1").bias is None
    assert isinstance(model.get_layer("conv_batch_norm_1"), L.BatchNormalization)
    assert build_model(spec.replace(batch_norm=False)).get_layer("conv_1").bias is not None


@pytest.mark.parametrize("kwargs", [
    {},
    {"filters": (32, 64), "dense_sizes": (128,), "batch_norm": True, "activation": "prelu"},
    {"filters": (8, 8), "kernel_size": 5, "padding": "valid"},
    {"filters": (4, 4, 4), "strides": 2, "pool": False},
    {"filters": (3, 5, 7), "kernel_size": (3, 5, 3), "pool": (True, False, True),
     "dense_sizes": (10, 20), "batch_norm": True},
    {"filters": (2,), "input_shape": (9, 9, 3), "flat_input": False, "activation": "elu",
     "pool_size": 3},
    {"filters": (8, 16), "convs_per_block": 2, "batch_norm": True, "dense_sizes": (32,)},
    {"filters": (4, 6), "convs_per_block": 3, "padding": "valid", "strides": (2, 1), "pool": False,
     "activation": "prelu"},
], ids=["lab11", "bn_prelu_head", "valid_5x5", "strided", "per_block", "rgb_pool3", "vgg_pairs",
        "triples_valid_strided"])
def test_conv_parameters_and_shapes_are_computed_without_building(kwargs):
    spec = ConvSpec(**kwargs)
    model = build_model(spec)
    assert model.count_params() == spec.num_parameters
    for i, shape in enumerate(spec.output_shapes, start=1):
        # the block's last layer: its pooling, else its last activation
        last = [layer for layer in model.layers
                if re.fullmatch(rf"(pool|conv_activation)_{i}(_\d)?", layer.name)][-1]
        assert tuple(last.output.shape[1:]) == shape, last.name


def test_conv_prelu_learns_one_slope_per_channel():
    model = build_model(ConvSpec(filters=(4, 6), activation="prelu", dense_sizes=(5,)))
    assert tuple(model.get_layer("conv_activation_1").alpha.shape) == (1, 1, 4)
    assert tuple(model.get_layer("activation_1").alpha.shape) == (5,)


def test_conv_net_matches_the_lab_11_program_ops():
    """The lab 11 program's forward pass written with TensorFlow's own ops, same weights.

    ``tf.nn.conv2d`` (SAME) + ReLU + ``tf.nn.max_pool`` 2x2 (SAME) twice, flatten,
    ``tf.matmul(L2_flat, W3) + b`` (tests/port_programs/mnist_cnn_nn.py).
    """
    import tensorflow as tf

    rng = np.random.default_rng(0)
    spec = ConvSpec(filters=(32, 64), kernel_size=3, padding="same", pool=True)
    model = build_model(spec, seed=0)
    w1 = rng.normal(0, 0.1, (3, 3, 1, 32)).astype("float32")
    w2 = rng.normal(0, 0.1, (3, 3, 32, 64)).astype("float32")
    w3 = rng.normal(0, 0.05, (7 * 7 * 64, 10)).astype("float32")
    b = rng.normal(size=10).astype("float32")
    model.get_layer("conv_1").set_weights([w1, np.zeros(32, "float32")])  # the program has no
    model.get_layer("conv_2").set_weights([w2, np.zeros(64, "float32")])  # conv biases
    model.get_layer("logits").set_weights([w3, b])
    x = rng.uniform(size=(5, 784)).astype("float32")

    image = tf.reshape(x, [-1, 28, 28, 1])
    l1 = tf.nn.max_pool(tf.nn.relu(tf.nn.conv2d(image, w1, [1, 1, 1, 1], "SAME")),
                        [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    l2 = tf.nn.max_pool(tf.nn.relu(tf.nn.conv2d(l1, w2, [1, 1, 1, 1], "SAME")),
                        [1, 2, 2, 1], [1, 2, 2, 1], "SAME")
    want = tf.matmul(tf.reshape(l2, [-1, 7 * 7 * 64]), w3) + b
    # float32 sums of 288 and 3136 products of O(0.1) terms, possibly in another order
    np.testing.assert_allclose(model(x, training=False).numpy(), want.numpy(), rtol=1e-5,
                               atol=1e-5)


def test_conv_initializers_use_the_conv_fan_in_and_distinct_seeds():
    spec = ConvSpec(filters=(64, 64), kernel_size=3, kernel_initializer="he",
                    bias_initializer="random_normal")
    model = build_model(spec, seed=3)
    k1, k2 = (model.get_layer(name).kernel.numpy() for name in ("conv_1", "conv_2"))
    # He (course rule): N(0, 2 / fan_in), fan_in = 3 * 3 * in_channels
    assert abs(k1.std() - np.sqrt(2 / 9)) < 0.05 * np.sqrt(2 / 9)
    assert abs(k2.std() - np.sqrt(2 / (9 * 64))) < 0.03 * np.sqrt(2 / (9 * 64))
    again = build_model(spec, seed=3)
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    per_layer = build_model(spec.replace(kernel_initializer=("zeros", "he", "xavier")), seed=3)
    assert not per_layer.get_layer("conv_1").kernel.numpy().any()
    np.testing.assert_array_equal(per_layer.get_layer("conv_2").kernel.numpy(), k2)


def test_conv_weight_decay_adds_half_lambda_squared_norm_of_every_kernel():
    spec = ConvSpec(filters=(2,), kernel_size=3, dense_sizes=(4,), weight_decay=0.01)
    model = build_model(spec, seed=0)
    kernels = [model.get_layer(name).kernel.numpy() for name in ("conv_1", "dense_1", "logits")]
    model(np.zeros((1, 784), "float32"))
    want = sum(0.005 * np.sum(np.square(k.astype("float64"))) for k in kernels)
    np.testing.assert_allclose(sum(float(loss) for loss in model.losses), want, rtol=1e-5)


def test_conv_model_saves_and_loads(tmp_path):
    spec = ConvSpec(filters=(3, 4), dense_sizes=(5,), batch_norm=True, conv_dropout_rate=0.2,
                    dropout_rate=0.3, activation="prelu")
    model = build_model(spec, seed=0)
    x = np.random.default_rng(0).uniform(size=(4, 784)).astype("float32")
    path = tmp_path / "cnn.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(loaded(x, training=False).numpy(), model(x, training=False).numpy())


def test_vgg_blocks_repeat_the_convolution_before_pooling():
    spec = ConvSpec(filters=(4, 8), convs_per_block=2, strides=(2, 1), batch_norm=True,
                    kernel_initializer="he", dense_sizes=(6,))
    model = build_model(spec, seed=0)
    assert _names(model) == [
        "inputs", "image",
        "conv_1_1", "conv_batch_norm_1_1", "conv_activation_1_1",
        "conv_1_2", "conv_batch_norm_1_2", "conv_activation_1_2", "pool_1",
        "conv_2_1", "conv_batch_norm_2_1", "conv_activation_2_1",
        "conv_2_2", "conv_batch_norm_2_2", "conv_activation_2_2", "pool_2",
        "flatten", "dense_1", "batch_norm_1", "activation_1", "logits"]
    # the block's stride on its first convolution only; the second keeps the size
    assert model.get_layer("conv_1_1").strides == (2, 2)
    assert model.get_layer("conv_1_2").strides == (1, 1)
    assert tuple(model.get_layer("conv_1_2").kernel.shape) == (3, 3, 4, 4)
    assert spec.output_shapes == ((7, 7, 4), (4, 4, 8))
    # every weight layer has its own seed: no two kernels of the same shape are equal
    kernels = [model.get_layer(name).kernel.numpy() for name in ("conv_2_1", "conv_2_2")]
    assert kernels[0].shape != kernels[1].shape or not np.array_equal(*kernels)
    same = build_model(spec.replace(filters=(4, 4)), seed=0)
    assert not np.array_equal(same.get_layer("conv_1_2").kernel.numpy(),
                              same.get_layer("conv_2_2").kernel.numpy())
    assert spec.num_weight_layers == 6
    with pytest.raises(ValueError, match=r"`len\(kernel_initializer\)` must be an integer in "
                                         r"\[6, 6\]"):
        spec.replace(kernel_initializer=("he",) * 4)


def test_conv_augmentation_changes_training_inputs_only():
    spec = ConvSpec(filters=(2,), pool=False, random_flip=True, random_shift=0.1)
    model = build_model(spec, seed=0)
    assert _names(model)[:4] == ["inputs", "image", "random_flip", "random_shift"]
    assert spec.num_parameters == model.count_params()  # augmentation has no weights
    images = np.random.default_rng(0).uniform(size=(200, 28, 28, 1)).astype("float32")
    # Inference: the same logits as the same weights without augmentation.
    plain = build_model(spec.replace(random_flip=False, random_shift=0.0), seed=0)
    plain.set_weights(model.get_weights())
    flat = images.reshape(200, 784)
    np.testing.assert_array_equal(model(flat, training=False).numpy(),
                                  plain(flat, training=False).numpy())
    # Training: each image mirrored or not, about half of them (binomial(200, 1/2):
    # 70..130 holds with probability 1 - 2e-5).
    flipped = model.get_layer("random_flip")(images, training=True).numpy()
    mirrored = [np.array_equal(out, image[:, ::-1]) for out, image in zip(flipped, images)]
    kept = [np.array_equal(out, image) for out, image in zip(flipped, images)]
    assert all(m or k for m, k in zip(mirrored, kept))
    assert 70 <= sum(mirrored) <= 130
    # A shift of whole pixels (nearest neighbour), zeros shifted in: every output
    # pixel is an input pixel or 0, and the shift is at most 0.1 * 28 = 2.8 -> 3 pixels.
    shifted = model.get_layer("random_shift")(images, training=True).numpy()
    for out, image in zip(shifted[:20], images[:20]):
        found = [(dy, dx) for dy in range(-3, 4) for dx in range(-3, 4)
                 if np.array_equal(out, _shift(image, dy, dx))]
        assert found, "not a whole-pixel shift of at most 3 pixels with zeros shifted in"
    assert sum(not np.array_equal(out, image) for out, image in zip(shifted, images)) > 100


def _shift(image, dy, dx):
    """``image`` moved down dy and right dx pixels, zeros shifted in."""
    out = np.zeros_like(image)
    height, width = image.shape[:2]
    out[max(dy, 0):height + min(dy, 0), max(dx, 0):width + min(dx, 0)] = \
        image[max(-dy, 0):height - max(dy, 0), max(-dx, 0):width - max(dx, 0)]
    return out


def test_conv_augmentation_is_seeded_and_saves(tmp_path):
    spec = ConvSpec(filters=(2,), pool=False, random_flip=True, random_shift=0.2)
    images = np.random.default_rng(1).uniform(size=(8, 784)).astype("float32")
    first = build_model(spec, seed=3)(images, training=True).numpy()
    again = build_model(spec, seed=3)(images, training=True).numpy()
    np.testing.assert_array_equal(first, again)
    model = build_model(spec, seed=3)
    model.save(tmp_path / "augmented.keras")
    loaded = keras.saving.load_model(tmp_path / "augmented.keras")
    assert loaded.get_layer("random_shift").height_factor == 0.2
    np.testing.assert_array_equal(loaded(images, training=False).numpy(),
                                  model(images, training=False).numpy())


@pytest.mark.parametrize("kwargs,error,message", [
    ({"filters": (8, 8, 8, 8)}, ValueError,
     r"`len\(filters\)` must be an integer in \[1, 3\]. Received: len\(filters\)=4. a ConvSpec "
     r"has 1 to 3 conv blocks \(the lab 11 programs have 2 and 3\)"),
    ({"filters": ()}, ValueError, r"`len\(filters\)` must be an integer in \[1, 3\]"),
    ({"filters": 32}, ValueError,
     r"`type\(filters\)` must be one of \['tuple', 'list'\]. Received: type\(filters\)='int'"),
    ({"filters": (8, 0)}, ValueError, r"`filters\[1\]` must be an integer in \[1, inf\)"),
    ({"kernel_size": (3, 3, 3)}, ValueError,
     r"`len\(kernel_size\)` must be an integer in \[2, 2\]. Received: len\(kernel_size\)=3. "
     r"give one value for every conv block, or one per block"),
    ({"strides": 0}, ValueError, r"`strides\[0\]` must be an integer in \[1, inf\)"),
    ({"padding": "SAME"}, ValueError,
     r"`padding` must be one of \['same', 'valid'\]. Received: padding='SAME'"),
    ({"pool": "yes"}, TypeError, r"`pool\[0\]` must be True or False"),
    ({"activation": "maxout"}, ValueError,
     r"`activation` must be one of \[.*'selu'.*\]. Received: activation='maxout'"),
    ({"random_shift": 0.5}, ValueError,
     r"`random_shift` must be in \[0.0, 0.5\). Received: random_shift=0.5"),
    ({"random_flip": "horizontal"}, TypeError, r"`random_flip` must be True or False"),
    ({"conv_dropout_rate": 1.0}, ValueError,
     r"`conv_dropout_rate` must be in \[0.0, 1.0\). Received: conv_dropout_rate=1.0"),
    ({"input_shape": (28, 28)}, ValueError,
     r"`input_shape` must be \(height, width, channels\). Received: input_shape=\(28, 28\)"),
    ({"filters": (8, 8, 8), "kernel_size": 5, "padding": "valid"}, ValueError,
     r"Conv block 3 of 3 leaves no pixels: a 28x28 image shrinks to 0x0 with kernel_size="
     r"\(5, 5, 5\), strides=\(1, 1, 1\), pool=\(True, True, True\), padding='valid'. Use fewer "
     r"blocks, padding='same' or smaller strides"),
    ({"kernel_initializer": ("he", "he")}, ValueError,
     r"`len\(kernel_initializer\)` must be an integer in \[3, 3\]. Received: "
     r"len\(kernel_initializer\)=2. give one initializer, or one per weight layer "
     r"\(convolutions, hidden dense layers, then logits\)"),
    ({"convs_per_block": 4}, ValueError,
     r"`convs_per_block` must be an integer in \[1, 3\]. Received: convs_per_block=4"),
    ({"filters": (8, 8), "convs_per_block": 3, "kernel_size": 5, "padding": "valid"}, ValueError,
     r"Conv block 2 of 2 leaves no pixels: .*padding='valid', convs_per_block=3. Use fewer"),
])
def test_bad_conv_spec_raises_clear_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        ConvSpec(**kwargs)


def test_build_model_names_both_spec_types():
    with pytest.raises(ValueError, match=r"`type\(spec\)` must be one of \['MLPSpec', 'ConvSpec'\]. "
                                         r"Received: type\(spec\)='dict'"):
        build_model({"filters": (32,)})


def test_conv_memory_check_refuses_before_building():
    huge = ConvSpec(filters=(8,), pool=False, dense_sizes=(4_000_000, 4_000_000))
    with pytest.raises(MemoryError, match=r"needs about"):
        build_model(huge)
