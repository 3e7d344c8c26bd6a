"""tfcourse.labs: the registry matches the programs, the tiers run, the CLI works.

The spec of each lab is checked against its TF1 program by running it: a
legacy run of 2 steps on 200 Fashion-MNIST examples gives the program's
variables (their shapes must be the lab's, in creation order) and losses;
the TF2 port built from the lab's spec (its optimizer and hyperparameters)
must repeat those losses from the same weights and batches.
"""

import json
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfcourse import labs
from tfcourse.cli.main import main as tfcourse_cli
from tfcourse.compat import legacy_programs
from tfcourse.compat.settings import ENVIRONMENT
from tfcourse.labs import keras_tier, port, runs

KNOBS = tuple(ENVIRONMENT.values())

TINY = {"dataset": "fashion_mnist", "epochs": 1, "max_examples": 200}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in KNOBS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    yield
    assert tf.executing_eagerly(), "graph mode leaked out of the test"


def test_registry_covers_the_mnist_series_with_the_course_results():
    programs = legacy_programs()
    assert set(labs.LABS) <= set(programs)
    assert {"mnist_softmax", "mnist_nn_gd", "mnist_nn_xavier", "mnist_nn_deep", "mnist_nn_dropout",
            "mnist_nn_batch_norm", "mnist_nn_adagrad", "mnist_nn_rmsprop", "mnist_nn_momentum",
            "mnist_nn_adam", "mnist_nn_early_stopping", "mnist_nn_homework"} == set(labs.LABS)
    reported = {name: lab.course_accuracy for name, lab in labs.LABS.items() if lab.course_accuracy}
    assert reported == {"mnist_softmax": 0.90, "mnist_nn_adam": 0.945, "mnist_nn_xavier": 0.978,
                        "mnist_nn_dropout": 0.98}
    for lab in labs.LABS.values():
        assert lab.program.is_file()
        text = lab.program.read_text()
        assert f"training_epochs = {lab.epochs}" in text and f"batch_size = {lab.batch_size}" in text
        assert ("tf.set_random_seed(777)" in text) == (lab.graph_seed == 777), lab.name
        assert ("keep_prob: 0.7" in text) == lab.has_dropout, lab.name
        assert ("xavier_initializer" in text) == (lab.kernel_initializer == "xavier_tf1"), lab.name
        assert f"learning_rate = {lab.optimizer_config['learning_rate']}" in text
        # The course's 98% and 97.8% are also in the program docstrings.
        if lab.course_accuracy:
            assert f"{lab.course_accuracy * 100:g}%" in programs[lab.name].course_result


def test_aliases_and_unknown_lab_message():
    assert labs.get("mnist_nn").name == "mnist_nn_adam"
    assert labs.get("xavier") is labs.LABS["mnist_nn_xavier"]
    with pytest.raises(ValueError, match=r"`lab` must be one of \[.*'mnist_softmax'.*\]. "
                                         r"Received: lab='mnist_cnn'"):
        labs.get("mnist_cnn")


@pytest.mark.parametrize("name", sorted(labs.LABS))
def test_spec_matches_the_program(name):
    lab = labs.get(name)
    legacy = runs.run_legacy(lab, progress=False, **TINY)
    assert legacy.steps_per_epoch == 2 and len(legacy.step_losses) == 2
    weights = port.initial_weights_from_trace(lab, legacy.trace.initial_weights)
    assert [w.shape for w in weights] == [shape for _, shape in port.variable_shapes(lab)]
    if not lab.deterministic:
        return  # other dropout masks: no step-by-step repeat (see test_labs_compare)
    data = runs.load_data("fashion_mnist", 200)
    ported = runs.run_port(lab, data, epochs=1, weights=weights,
                           batches=legacy.trace.train_batches, progress=False)
    # Two steps of the same kernels: equal up to the Adam beta**t rounding (float32 ulps).
    np.testing.assert_allclose(ported.step_losses, legacy.step_losses, rtol=1e-6)


def test_initial_weights_of_another_program_are_refused():
    weights = {"Variable": np.zeros((784, 10), np.float32), "Variable_1": np.zeros(10, np.float32)}
    with pytest.raises(ValueError, match=r"do not fit lab 'mnist_nn_gd'.*Received: "
                                         r"\[\('Variable', \(784, 10\)\)"):
        port.initial_weights_from_trace(labs.get("mnist_nn_gd"), weights)


def test_keras_model_names_and_weight_order_follow_the_program():
    # the porter's model: the program's own names (L1, L2, hypothesis), in creation order
    model = keras_tier.build_keras_model(labs.get("mnist_nn_batch_norm"), dense="tf1")
    assert [w.path for w in model.trainable_weights] == [
        "L1/kernel", "L1_batchnormalization/gamma", "L1_batchnormalization/beta", "L2/kernel",
        "L2_batchnormalization/gamma", "L2_batchnormalization/beta", "hypothesis/kernel",
        "hypothesis/bias"]
    model = keras_tier.build_keras_model(labs.get("mnist_nn_gd"), dense="tf1")
    dense = [layer for layer in model.layers if layer.name in ("L1", "L2", "hypothesis")]
    assert len(dense) == 3 and all(type(layer) is keras_tier.TF1Dense for layer in dense)
    model = keras_tier.build_keras_model(labs.get("mnist_nn_gd"), dense="keras")
    assert all(type(layer).__name__ == "Dense" for layer in model.layers
               if layer.name in ("L1", "L2", "hypothesis"))
    again = keras_tier.build_keras_model(labs.get("mnist_nn_gd"), dense="keras", seed=5)
    assert not np.array_equal(again.trainable_weights[0].numpy(),
                              model.trainable_weights[0].numpy())  # seed 0 vs 5
    with pytest.raises(ValueError, match=r"`dense` must be one of \['keras', 'tf1'\]"):
        keras_tier.build_keras_model(labs.get("mnist_nn_gd"), dense="torch")


def test_tf1_dense_equals_dense_in_values():
    import keras

    x = np.random.default_rng(0).normal(size=(5, 7)).astype(np.float32)
    dense = keras.layers.Dense(3, kernel_initializer="glorot_uniform", bias_initializer="ones")
    twin = keras_tier.TF1Dense.from_config(dense.get_config())
    dense.build((None, 7))
    twin.build((None, 7))
    twin.set_weights(dense.get_weights())
    np.testing.assert_allclose(twin(x), dense(x), rtol=1e-6)


def test_run_each_tier_writes_logs(tmp_path, capsys):
    for tier in ("legacy", "port", "keras"):
        code = tfcourse_cli(["run", "softmax", "--tier", tier, "--dataset", "fashion_mnist",
                             "--epochs", "2", "--max-examples", "300", "--logdir", str(tmp_path),
                             "--quiet"])
        out = capsys.readouterr().out
        assert code == 0, out
        assert re.search(rf"mnist_softmax \[{tier}\] on fashion_mnist: 2 epochs, final cost \S+, "
                         r"test accuracy 0\.\d{4}", out)
        assert list((tmp_path / "mnist_softmax" / tier / "train").glob("events.out.tfevents.*"))
    assert list((tmp_path / "mnist_softmax" / "keras" / "validation").glob("events.out.*"))


def test_keras_tier_run_logs_activations_and_gradient_norms(tmp_path, capsys):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    assert tfcourse_cli(["run", "mnist_nn_gd", "--tier", "keras", "--dataset", "fashion_mnist",
                         "--epochs", "1", "--max-examples", "300", "--logdir", str(tmp_path),
                         "--quiet"]) == 0
    events = EventAccumulator(str(tmp_path / "mnist_nn_gd" / "keras" / "train")).Reload()
    tags = set(events.Tags()["scalars"]) | set(events.Tags()["tensors"])
    assert {"optimizer/learning_rate", "gradient_norm/global"} <= tags, sorted(tags)
    assert any(tag.startswith("activations/") and tag.endswith("/p50") for tag in tags), sorted(tags)
    assert any(tag.endswith("/dead_fraction") for tag in tags), sorted(tags)


def test_run_legacy_prints_the_program_output(tmp_path, capsys):
    assert tfcourse_cli(["run", "mnist_nn_gd", "--tier", "legacy", "--dataset", "fashion_mnist",
                         "--epochs", "2", "--max-examples", "300", "--logdir", str(tmp_path),
                         "--quiet"]) == 0
    out = capsys.readouterr().out
    assert len(re.findall(r"^Epoch: 000\d cost = ", out, re.M)) == 2
    assert re.search(r"^Accuracy: 0\.\d+$", out, re.M)


def test_compare_cli_table_json_plot_and_logs(tmp_path, capsys):
    report = tmp_path / "report.json"
    code = tfcourse_cli(["compare", "mnist_nn_gd", "--dataset", "fashion_mnist", "--epochs", "2",
                         "--max-examples", "500", "--logdir", str(tmp_path / "logs"),
                         "--json", str(report)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert re.search(r"^ +cost +max \|dloss\| +test accuracy +s/epoch$", out, re.M)
    assert re.search(r"^epoch +legacy +port +keras +legacy +port +keras +legacy +port +keras$",
                     out, re.M)
    assert max(len(line) for line in out.splitlines() if not line.startswith("wrote ")) <= 100
    assert "PASS  port vs legacy, loss of the first 10 steps" in out
    data = json.loads(report.read_text())
    assert data["epochs"] == 2 and data["steps_per_epoch"] == 5 and data["passed"] is True
    assert len(data["step_losses"]["keras"]) == 10
    assert data["epochs_table"][1]["max_step_diff_keras"] == 0.0
    compare_dir = tmp_path / "logs" / "mnist_nn_gd" / "compare"
    assert (compare_dir / "losses.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((compare_dir / "compare.json").read_text())["lab"]["name"] == "mnist_nn_gd"
    for tier in ("legacy", "port", "keras"):
        assert list((tmp_path / "logs" / "mnist_nn_gd" / tier / "train").glob("events.out.*"))


def test_compare_show_code_and_errors(capsys):
    assert tfcourse_cli(["compare", "xavier", "--show-code"]) == 0
    out = capsys.readouterr().out
    assert "TF1" in out.splitlines()[0] and "Keras 3 (tfcourse port)" in out.splitlines()[0]
    assert "import tensorflow as tf" in out and "tf.contrib.layers.xavier_initializer()" in out
    # (the Keras column wraps at 78 characters)
    assert "tfcourse.optimizers.Adam(learning_rate=learning_rate, convention" in out
    assert 'kernel_initializer="glorot_uniform"' in out  # what xavier_initializer draws
    assert tfcourse_cli(["compare", "mnist_nn_gd", "--tiers", "port,torch"]) == 1
    assert "`tiers` must be one of ['legacy', 'port', 'keras']. Received: tiers='torch'" in \
        capsys.readouterr().err
    assert tfcourse_cli(["run", "mnist_cnn", "--tier", "keras"]) == 1
    assert "Received: lab='mnist_cnn'" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"`epochs` must be an integer in \[1, inf\). Received: epochs=0"):
        labs.run("softmax", "port", dataset="fashion_mnist", epochs=0)


def test_labs_cli_lists_every_lab(capsys):
    assert tfcourse_cli(["labs"]) == 0
    out = capsys.readouterr().out
    for name in labs.LABS:
        assert re.search(rf"^{name} ", out, re.M)
    assert "Xavier initialization 97.8% (seed 001)" in out
    assert tfcourse_cli(["labs", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [entry["name"] for entry in listed] == list(labs.LABS)
    assert listed[0]["architecture"] == "784-10" and listed[0]["optimizer"] == "adam"


def test_keras_tier_names_the_exact_non_finite_step_whatever_steps_per_execution():
    # Gradient descent at learning rate 1e8 on the N(0, 1)-initialized MLP
    # overflows within a few steps; with 10 steps per call Keras reports once
    # per 10 steps, the guard replays them and names one step: the same as
    # at 1 step per call.
    import dataclasses

    from tfcourse import faults

    lab = dataclasses.replace(labs.get("mnist_nn_gd"), batch_size=20,
                              optimizer_config={"learning_rate": 1e8})
    data = runs.load_data("fashion_mnist", 600)
    found = []
    for steps_per_execution in (1, 10):
        with pytest.raises(faults.NonFiniteError) as error:
            runs.run_keras(lab, data, epochs=2, verbose=0,
                           steps_per_execution=steps_per_execution)
        message = str(error.value)
        match = re.search(r"Training stopped at step (\d+) \(epoch (\d)\): the loss is \S+; the "
                          r"gradients of layer `(\w+)` became non-finite first", message)
        assert match, message
        found.append(match.groups())
    assert found[0] == found[1]


def test_lab_accuracy_equals_keras_categorical_accuracy():
    # random logits, rows with exact ties (first maximum wins in both) and zeros
    rng = np.random.default_rng(5)
    logits = rng.normal(size=(500, 10)).astype("float32")
    logits[:50] = np.round(logits[:50])
    logits[50:60] = 0.0
    labels = np.eye(10, dtype="float32")[rng.integers(0, 10, 500)]
    ours, reference = keras_tier.LabAccuracy(), keras.metrics.CategoricalAccuracy()
    for start in (0, 200):  # two updates: the running mean over 500 examples
        ours.update_state(labels[start:start + 300], logits[start:start + 300])
        reference.update_state(labels[start:start + 300], logits[start:start + 300])
    assert float(ours.result()) == float(reference.result())
    assert 0.05 < float(ours.result()) < 0.3  # chance level: the test data are not trivial
    restored = keras.metrics.deserialize(keras.metrics.serialize(ours))
    assert type(restored) is keras_tier.LabAccuracy and restored.name == "accuracy"


def test_batch_norm_lab_memory_is_checked_from_its_sizes_before_building(monkeypatch):
    import dataclasses

    lab = labs.get("mnist_nn_batch_norm")
    model = keras_tier.build_keras_model(lab, num_steps=7)
    assert keras_tier.batch_norm_lab_parameters(lab) == model.count_params() - 7  # step_losses
    huge = dataclasses.replace(lab, hidden_sizes=(10**6, 10**6))
    built = []
    monkeypatch.setattr(keras_tier.keras.layers.Dense, "__init__",
                        lambda *args, **kwargs: built.append(args))
    # 784e6 + 1e12 + 10e6 weights, 10 biases, 2 x 4e6 batch-norm values (gamma, beta, the
    # population mean and variance); x 8 bytes
    with pytest.raises(MemoryError, match=r"^`model` needs about 7456\.56 GiB for 1000802000010 "
                                          r"parameters and their gradients"):
        keras_tier.build_keras_model(huge)
    assert built == []  # refused before the first layer was made


@pytest.mark.parametrize("gather_bytes", [None, 1, 3 * 5 * 52, 10**9],
                         ids=["default", "one step", "three steps", "all"])
def test_replay_dataset_yields_the_batches_in_order_however_many_steps_it_gathers(gather_bytes):
    x = np.arange(70 * 6, dtype="float32").reshape(70, 6)
    y = np.eye(7, dtype="float32")[np.arange(70) % 7]
    rng = np.random.default_rng(0)
    batches = [rng.permutation(70)[:5] for _ in range(12)]
    elements = list(keras_tier.replay_dataset(x, y, batches, gather_bytes=gather_bytes))
    assert len(elements) == 12
    for (images, labels), rows in zip(elements, batches):
        np.testing.assert_array_equal(images.numpy(), x[rows])
        np.testing.assert_array_equal(labels.numpy(), y[rows])


@pytest.mark.parametrize("name", ["mnist_nn_xavier", "mnist_nn_batch_norm"])
def test_keras_tier_model_takes_a_plain_tensor_without_a_structure_warning(name):
    import warnings

    model = keras_tier.build_keras_model(labs.get(name), dense="tf1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras warns when a list-input model gets one tensor
        logits = model(np.zeros((3, 784), "float32"), training=False)
    assert tuple(logits.shape) == (3, 10)


def test_run_legacy_runs_the_program_at_the_labs_batch_size():
    import dataclasses

    lab = dataclasses.replace(labs.get("mnist_softmax"), batch_size=50)
    legacy = runs.run_legacy(lab, progress=False, **TINY)  # 200 examples: 4 steps of 50
    assert legacy.steps_per_epoch == 4 and len(legacy.step_losses) == 4
    assert all(len(rows) == 50 for rows in legacy.trace.train_batches)


def test_run_legacy_refuses_a_program_without_one_batch_size_line(tmp_path, monkeypatch):
    from tfcourse.compat import programs

    program = tmp_path / "mnist_softmax.py"
    program.write_text("training_epochs = 15\nprint('no batch size here')\n")
    monkeypatch.setattr(programs, "LEGACY_DIR", tmp_path)
    with pytest.raises(ValueError, match=rf"^{re.escape(str(program))} has no single "
                                         r"`batch_size = N` line to set the batch size$"):
        runs.run_legacy("mnist_softmax", progress=False, **TINY)
