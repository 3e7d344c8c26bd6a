"""tfcourse.monitoring callbacks: tags and values read back from the event files.

References are independent of the callbacks: NumPy forward and backward
passes written out here, NumPy's percentiles, and the schedules' own values.
Summaries are stored as float32, hence the rtol=1e-6 on values read back
(float32 has a 6e-8 unit roundoff; 1e-6 leaves room for the model's own
float32 arithmetic where it runs in float32).
"""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest

from tests.monitoring_helpers import histogram_counts, read_events, scalar_series
from tfcourse import monitoring

SUMMARY_RTOL = 1e-6  # summaries hold float32 values


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(96, 6))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64")
    return x, y


def small_model(seed=3):
    """sigmoid Dense -> linear Dense -> ReLU Activation -> tanh Dense -> softmax."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(
                10, activation="sigmoid", name="hidden_sigmoid",
                kernel_initializer=keras.initializers.RandomNormal(stddev=2.0),
            ),
            keras.layers.Dense(8, name="hidden_linear"),
            keras.layers.Activation("relu", name="hidden_relu"),
            keras.layers.Dense(5, activation="tanh", name="hidden_tanh"),
            keras.layers.Dense(2, activation="softmax", name="output"),
        ]
    )
    # Half of the ReLU units get a bias far below any input they can receive:
    # dead on every probe example, and they stay dead (zero gradient).
    kernel, bias = model.get_layer("hidden_linear").get_weights()
    bias[:4] = -50.0
    model.get_layer("hidden_linear").set_weights([kernel, bias])
    model.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
    return model


def numpy_forward(weights, x):
    """The small model's forward pass in float64 NumPy: every layer's output and the pre-activations."""
    w1, b1, w2, b2, w3, b3, w4, b4 = weights
    z1 = x @ w1 + b1
    a1 = sigmoid(z1)
    z2 = a1 @ w2 + b2
    a2 = np.maximum(z2, 0.0)
    z3 = a2 @ w3 + b3
    a3 = np.tanh(z3)
    z4 = a3 @ w4 + b4
    return {
        "hidden_sigmoid": (z1, a1), "hidden_relu": (z2, a2),
        "hidden_tanh": (z3, a3), "output": (z4, softmax(z4)),
    }


def test_activation_statistics_match_numpy_on_the_probe_batch(tmp_path, data, float64):
    x, y = data
    probe = x[:40]
    model = small_model()
    initial = [w.copy() for w in model.get_weights()]
    callback = monitoring.ActivationStatistics(tmp_path, probe, every_n_steps=3)
    model.fit(x, y, batch_size=16, epochs=1, callbacks=[callback], verbose=0)
    events = read_events(os.path.join(tmp_path, "train"))
    # 6 updates: written at step 0 (start), 3, 6 (and 6 is also the end).
    assert sorted(scalar_series(events, "activations/hidden_sigmoid/p50")) == [0, 3, 6]
    for step, weights in ((0, initial), (6, model.get_weights())):
        want = numpy_forward(weights, probe)
        for layer, (z, a) in want.items():
            for q in (15, 50, 85):
                got = scalar_series(events, f"activations/{layer}/p{q}")[step]
                np.testing.assert_allclose(got, np.percentile(a, q), rtol=SUMMARY_RTOL, atol=1e-7,
                                           err_msg=f"{layer} p{q} step {step}")
                got = scalar_series(events, f"preactivations/{layer}/p{q}")[step]
                np.testing.assert_allclose(got, np.percentile(z, q), rtol=SUMMARY_RTOL, atol=1e-6,
                                           err_msg=f"{layer} pre p{q} step {step}")
        a1, a3, a2 = want["hidden_sigmoid"][1], want["hidden_tanh"][1], want["hidden_relu"][1]
        sat_sigmoid = np.mean((a1 < 0.01) | (a1 > 0.99))
        sat_tanh = np.mean(np.abs(a3) > 0.99)
        dead = np.mean(np.all(a2 == 0, axis=0))
        assert scalar_series(events, "activations/hidden_sigmoid/saturated_fraction")[step] == pytest.approx(sat_sigmoid)
        assert scalar_series(events, "activations/hidden_tanh/saturated_fraction")[step] == pytest.approx(sat_tanh)
        assert scalar_series(events, "activations/hidden_relu/dead_fraction")[step] == pytest.approx(dead)
        assert dead >= 0.5 and sat_sigmoid > 0.05  # the fixture makes both pictures visible
    # Linear layers are not monitored unless named; softmax has no saturation tag.
    assert not any(tag.startswith("activations/hidden_linear") for tag in events)
    assert "activations/output/saturated_fraction" not in events


def test_activation_statistics_on_named_layers_and_compute(tmp_path, data):
    x, y = data
    model = small_model()
    model(x[:2])
    callback = monitoring.ActivationStatistics(tmp_path, (x[:20], y[:20]), layers=["hidden_linear"],
                                               percentiles=(50,))
    callback.set_model(model)
    values = callback.compute()
    assert set(values) == {"activations/hidden_linear/p50"}
    sub = keras.Model(model.inputs[0], model.get_layer("hidden_linear").output)
    want = np.percentile(keras.ops.convert_to_numpy(sub(x[:20])), 50)
    assert values["activations/hidden_linear/p50"] == pytest.approx(want, rel=1e-6)


def test_gradient_norms_match_numpy_backpropagation(tmp_path, data, float64):
    x, y = data
    keras.utils.set_random_seed(11)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(7, activation="sigmoid", name="h"),
                              keras.layers.Dense(3, activation="softmax", name="out")])
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    probe = (x[:32], y[:32])
    callback = monitoring.GradientNorms(tmp_path, probe, every_n_steps=100, histograms=True)
    initial = model.get_weights()
    model.fit(x, y, batch_size=32, epochs=1, callbacks=[callback], verbose=0)

    def numpy_norms(weights):
        w1, b1, w2, b2 = weights
        px, py = probe
        h = sigmoid(px @ w1 + b1)
        p = softmax(h @ w2 + b2)
        dz2 = (p - np.eye(3)[py]) / len(px)  # mean cross-entropy
        dw2, db2 = h.T @ dz2, dz2.sum(0)
        dz1 = (dz2 @ w2.T) * h * (1 - h)
        dw1, db1 = px.T @ dz1, dz1.sum(0)
        layer_h = np.sqrt(np.sum(dw1**2) + np.sum(db1**2))
        layer_out = np.sqrt(np.sum(dw2**2) + np.sum(db2**2))
        return {"h": layer_h, "out": layer_out, "global": np.hypot(layer_h, layer_out)}

    events = read_events(os.path.join(tmp_path, "train"))
    for step, weights in ((0, initial), (3, model.get_weights())):
        for name, want in numpy_norms(weights).items():
            got = scalar_series(events, f"gradient_norm/{name}")[step]
            np.testing.assert_allclose(got, want, rtol=SUMMARY_RTOL, err_msg=f"{name} step {step}")
    # Histograms: one per variable and step, bucket counts add up to the variable's size.
    for tag, size in (("h/kernel", 42), ("h/bias", 7), ("out/kernel", 21), ("out/bias", 3)):
        for prefix in ("weights", "gradients"):
            records = events[f"{prefix}/{tag}"]
            assert [step for step, _ in records] == [0, 3]
            assert histogram_counts(records[-1][1]).sum() == size


def test_gradient_norms_show_the_vanishing_gradient_of_deep_sigmoid_nets(tmp_path, data):
    x, y = data

    def first_to_last(activation, initializer):
        keras.utils.set_random_seed(5)
        layers = [keras.Input((6,))]
        layers += [keras.layers.Dense(32, activation=activation, kernel_initializer=initializer,
                                      name=f"dense_{i}") for i in range(1, 9)]
        layers += [keras.layers.Dense(2, activation="softmax", name="out")]
        model = keras.Sequential(layers)
        model.compile("sgd", "sparse_categorical_crossentropy")
        callback = monitoring.GradientNorms(tmp_path, (x[:64], y[:64]))
        callback.set_model(model)
        norms = callback.compute()
        return norms["gradient_norm/dense_1"] / norms["gradient_norm/dense_8"]

    # Each sigmoid layer multiplies the backward signal by s'(z) <= 1/4 (seed 000).
    assert first_to_last("sigmoid", "glorot_uniform") < 0.05
    assert first_to_last("relu", "he_normal") > 0.2


def test_histograms_are_off_by_default(tmp_path, data):
    x, y = data
    model = small_model()
    model.fit(x, y, batch_size=48, epochs=1, verbose=0,
              callbacks=[monitoring.GradientNorms(tmp_path, (x[:8], y[:8]))])
    events = read_events(os.path.join(tmp_path, "train"))
    assert "gradient_norm/hidden_sigmoid" in events
    assert not any(tag.startswith(("weights/", "gradients/")) for tag in events)


def test_logged_learning_rate_is_the_rate_each_update_used(tmp_path):
    # One weight w, input 1, target far above: MAE's gradient is -1 at every
    # step, so SGD moves w by exactly the learning rate it used: w_{k+1} - w_k = lr_k.
    schedule = keras.optimizers.schedules.InverseTimeDecay(0.5, decay_steps=2, decay_rate=0.7)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False,
                              kernel_initializer="zeros")])
    model.compile(keras.optimizers.SGD(schedule), "mean_absolute_error")
    steps = []

    class RecordWeight(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            steps.append(float(model.get_weights()[0][0, 0]))

    x, y = np.ones((12, 1)), np.full((12, 1), 1e3)
    model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0,
              callbacks=[monitoring.LearningRateLogger(tmp_path), RecordWeight()])
    events = read_events(os.path.join(tmp_path, "train"))
    logged = scalar_series(events, "optimizer/learning_rate")
    assert sorted(logged) == list(range(12))
    moves = np.diff([0.0, *steps])
    for k in range(12):
        want = float(schedule(k))
        assert logged[k] == pytest.approx(want, rel=SUMMARY_RTOL), f"step {k}"
        assert moves[k] == pytest.approx(want, rel=1e-5), f"step {k}: the update did not use lr_k"
    assert events["optimizer/class"] == [(0, "keras.optimizers.SGD")]
    assert events["optimizer/convention"] == [(0, "keras")]


def test_learning_rate_set_by_an_epoch_callback_is_logged(tmp_path):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(1.0), "mse")
    per_epoch = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.95**epoch)
    model.fit(np.ones((8, 2)), np.ones(8), batch_size=4, epochs=3, verbose=0,
              callbacks=[per_epoch, monitoring.LearningRateLogger(tmp_path, every_n_steps=2)])
    logged = scalar_series(read_events(os.path.join(tmp_path, "train")), "optimizer/learning_rate")
    assert sorted(logged) == [0, 2, 4]  # 2 batches per epoch, one point per epoch
    for step, value in logged.items():
        assert value == pytest.approx(0.1 * 0.95 ** (step // 2), rel=SUMMARY_RTOL)


def test_describe_optimizer_unwraps_loss_scaling():
    inner = keras.optimizers.Adam()
    wrapped = keras.optimizers.LossScaleOptimizer(inner)
    assert monitoring.describe_optimizer(wrapped) == {
        "class": "keras.optimizers.Adam", "convention": "keras"}


def test_hparams_are_written_with_ints_as_ints(tmp_path, data):
    from tensorboard.plugins.hparams import plugin_data_pb2

    x, y = data
    experiment = tmp_path / "exp"
    monitoring.write_hparams_config(experiment, {"units": [16, 64], "learning_rate": (1e-3, 1.0),
                                                 "optimizer": ["sgd", "adam"], "layers": (1, 5)})
    run = monitoring.run_dir(tmp_path, "exp", "sgd_16")
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[monitoring.HParamsLogger(
        run, {"units": np.int64(16), "learning_rate": 0.5, "optimizer": "sgd", "layers": 3})])

    def plugin_data(folder, tag):
        (_, value), = read_events(folder)[tag]
        return plugin_data_pb2.HParamsPluginData.FromString(value.metadata.plugin_data.content)

    config = plugin_data(experiment, "_hparams_/experiment").experiment
    domains = {h.name: h for h in config.hparam_infos}
    assert [v.number_value for v in domains["units"].domain_discrete.values] == [16, 64]
    assert (domains["layers"].domain_interval.min_value, domains["layers"].domain_interval.max_value) == (1, 5)
    assert [v.string_value for v in domains["optimizer"].domain_discrete.values] == ["adam", "sgd"]  # sorted by TensorBoard
    assert [(m.name.group, m.name.tag) for m in config.metric_infos] == [
        ("validation", "epoch_accuracy"), ("validation", "epoch_loss"),
        ("train", "epoch_accuracy"), ("train", "epoch_loss")]
    session = plugin_data(run, "_hparams_/session_start_info").session_start_info
    assert session.hparams["units"].number_value == 16
    assert session.hparams["layers"].number_value == 3
    assert session.hparams["optimizer"].string_value == "sgd"
    assert session.group_name == "sgd_16"


def test_run_callbacks_write_the_layout(tmp_path, data):
    x, y = data
    run = monitoring.run_dir(tmp_path / "logs", "lab10", "sgd")
    model = small_model()
    model.fit(x, y, batch_size=32, epochs=2, validation_split=0.25, verbose=0,
              callbacks=monitoring.run_callbacks(run, (x[:16], y[:16]), every_n_steps=2,
                                                 hparams={"optimizer": "sgd"}))
    train = read_events(os.path.join(run, "train"))
    validation = read_events(os.path.join(run, "validation"))
    assert {"epoch_loss", "optimizer/learning_rate", "optimizer/convention",
            "activations/hidden_sigmoid/p15", "preactivations/hidden_sigmoid/p85",
            "gradient_norm/hidden_tanh", "gradient_norm/global"} <= set(train)
    assert "epoch_loss" in validation
    assert "_hparams_/session_start_info" in read_events(run)
    assert sorted(os.listdir(tmp_path / "logs" / "lab10")) == ["sgd"]


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda d: monitoring.ActivationStatistics(d, np.zeros((4, 2)), every_n_steps=0),
         ValueError, r"`every_n_steps` must be an integer in \[1, inf\)\. Received: every_n_steps=0"),
        (lambda d: monitoring.ActivationStatistics(d, np.zeros((4, 2)), percentiles=(15, 150)),
         ValueError, r"`percentiles` must be in \[0\.0, 100\.0\]\. Received: percentiles=150"),
        (lambda d: monitoring.ActivationStatistics(d, np.zeros((4, 2)), saturation_margin=0.5),
         ValueError, r"`saturation_margin` must be in \(0\.0, 0\.5\)"),
        (lambda d: monitoring.GradientNorms(d, np.zeros((4, 2))),
         ValueError, r"GradientNorms needs targets .* `probe=\(x, y\)`\. Received: probe=x only"),
        (lambda d: monitoring.GradientNorms(d, (np.zeros((4, 2)), np.zeros(4)), histograms="yes"),
         TypeError, r"`histograms` must be True or False\. Received: histograms='yes'"),
        (lambda d: monitoring.LearningRateLogger(42),
         TypeError, r"`log_dir` must be a path .* Received: log_dir=42"),
        (lambda d: monitoring.run_dir(d, "lab10", "../adam"),
         ValueError, r"`run` must be a single folder name.*Received: run='\.\./adam'"),
        (lambda d: monitoring.HParamsLogger(d, {"units": [16]}),
         TypeError, r"hyperparameter `units` must be a bool, int, float or str\. Received: units=\[16\]"),
        (lambda d: monitoring.write_hparams_config(d, {"optimizer": ["sgd", 1]}),
         TypeError, r"values of hyperparameter `optimizer` must share one type"),
    ],
    ids=["every_n_steps", "percentiles", "saturation_margin", "probe_targets", "histograms",
         "log_dir", "run_name", "hparam_value", "hparam_domain"],
)
def test_bad_arguments_are_refused_with_a_clear_message(tmp_path, make, error, match):
    with pytest.raises(error, match=match):
        make(tmp_path)


def test_unknown_layer_name_lists_the_model_layers(tmp_path, data):
    x, y = data
    model = small_model()
    callback = monitoring.ActivationStatistics(tmp_path, x[:4], layers=["hiden_relu"])
    with pytest.raises(ValueError, match=r"`layers` names layers the model does not have: \['hiden_relu'\]"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])


def test_course_model_optimizer_and_schedule_are_monitored(tmp_path, data):
    """A tfcourse.models MLP with batch norm, a tfcourse optimizer and a seed-003 schedule."""
    from tfcourse import models, optimizers, schedules

    x, y = data
    spec = models.MLPSpec(input_size=6, hidden_sizes=(8, 8), num_classes=2, activation="sigmoid",
                          batch_norm=True, output_activation="softmax", name="bn_sigmoid")
    model = models.build_model(spec, seed=0)
    schedule = schedules.ExponentialEpochDecay(0.05, steps_per_epoch=3, decay_base=0.95)
    optimizer = optimizers.Adam(learning_rate=schedule)
    model.compile(optimizer, "sparse_categorical_crossentropy")
    run = monitoring.run_dir(tmp_path, "bn", "adam")
    model.fit(x, y, batch_size=32, epochs=3, verbose=0,
              callbacks=monitoring.run_callbacks(run, (x[:32], y[:32]), every_n_steps=3))
    train = read_events(os.path.join(run, "train"))
    sigmoid_layers = [layer.name for layer in model.layers
                      if getattr(layer, "activation", None) is keras.activations.sigmoid]
    assert sigmoid_layers, [layer.name for layer in model.layers]
    for name in sigmoid_layers:  # the batch-norm paper's picture: the sigmoid's input over training
        assert sorted(scalar_series(train, f"preactivations/{name}/p15")) == [0, 3, 6, 9]
        assert f"activations/{name}/saturated_fraction" in train
    norms = {tag for tag in train if tag.startswith("gradient_norm/")}
    assert any("batch_norm" in tag for tag in norms) and any("dense" in tag for tag in norms)
    logged = scalar_series(train, "optimizer/learning_rate")
    assert sorted(logged) == list(range(9))
    for k, value in logged.items():
        assert value == pytest.approx(float(schedule(k)), rel=SUMMARY_RTOL), f"step {k}"
    assert train["optimizer/class"] == [(0, "tfcourse.optimizers.Adam")]
    assert train["optimizer/convention"] == [(0, optimizer.convention)] == [(0, "course")]
