"""tfcourse.load_model: fresh-process loading with safe_mode, and clear errors for bad files."""

import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

import tfcourse
from tfcourse.saving import ModelFileError


def test_fresh_process_loads_a_course_model_in_safe_mode(tmp_path):
    from tfcourse import models

    spec = models.preset("mlp", input_size=20, hidden_sizes=(16, 8), activation="maxout",
                         batch_norm=True, keep_prob=0.8, kernel_initializer="he")
    model = models.build_model(spec, seed=1)
    x = np.random.default_rng(0).random((5, 20)).astype("float32")
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "course.keras")
    np.save(tmp_path / "x.npy", x)
    code = textwrap.dedent(f"""
        import sys, numpy as np, tfcourse
        model = tfcourse.load_model({str(tmp_path / "course.keras")!r}, safe_mode=True)
        np.save({str(tmp_path / "got.npy")!r}, model.predict(np.load({str(tmp_path / "x.npy")!r}), verbose=0))
        print(sorted(type(layer).__module__.split(".")[0] for layer in model.layers if "tfcourse" in type(layer).__module__)[:1])
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "['tfcourse']" in result.stdout
    np.testing.assert_array_equal(np.load(tmp_path / "got.npy"), expected)


def test_missing_model_file_is_named(tmp_path):
    with pytest.raises(ModelFileError, match=r"Cannot load the model .*absent\.keras: the file does not exist"):
        tfcourse.load_model(tmp_path / "absent.keras")


def test_truncated_model_file_is_named(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.save(tmp_path / "ok.keras")
    blob = (tmp_path / "ok.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ModelFileError, match=r"cut\.keras: it is not a \.keras archive"):
        tfcourse.load_model(tmp_path / "cut.keras")
    with pytest.raises(ValueError):  # ModelFileError is a ValueError for `except ValueError` callers
        tfcourse.load_model(tmp_path / "cut.keras")


def test_zip_without_a_keras_config_is_named(tmp_path):
    with zipfile.ZipFile(tmp_path / "other.keras", "w") as archive:
        archive.writestr("readme.txt", "not a model")
    with pytest.raises(ModelFileError, match=r"other\.keras: the archive has no config\.json"):
        tfcourse.load_model(tmp_path / "other.keras")


# Every kind of .keras file tfcourse writes (issue 15, item 8) ----------------------------

LOAD_EACH = """
import json, sys
import numpy as np
import tfcourse
import keras

files, x = json.loads(sys.argv[1]), np.load(sys.argv[2])
# keras.saving.load_model after a bare `import tfcourse`: Keras itself finds tfcourse's
# classes (the component modules are not imported before the first load)
print("registered before:", "tfcourse.optimizers" in sys.modules)
for kind, path in files.items():
    model = keras.saving.load_model(path)
    np.save(path + ".keras_loaded.npy", model.predict(x[:, :model.inputs[0].shape[-1]], verbose=0))
    again = tfcourse.load_model(path)
    np.save(path + ".tfcourse_loaded.npy", again.predict(x[:, :again.inputs[0].shape[-1]], verbose=0))
    print(kind, type(model).__name__, type(model.optimizer).__module__)
"""


def test_every_keras_file_tfcourse_writes_loads_in_a_fresh_process(tmp_path, monkeypatch):
    import json

    import keras
    import keras_tuner

    from tfcourse import checkpointing, labs, models, optimizers, training
    from tfcourse.labs import runs
    from tfcourse.tuning.hypermodel import CourseHyperModel

    for name in ("TFCOURSE_MAX_EXAMPLES", "TFCOURSE_MAX_STEPS", "TFCOURSE_DATASET"):
        monkeypatch.delenv(name, raising=False)
    x = np.random.default_rng(0).random((6, 784)).astype("float32")
    files, expected = {}, {}

    # tfcourse run LAB --tier keras: the plain model.keras and the lab checkpoint (StepLossModel)
    result = runs.run("mnist_nn_dropout", "keras", dataset="synthetic", epochs=1,
                      max_examples=200, logdir=tmp_path / "logs", verbose=False,
                      checkpoint_dir=tmp_path / "logs" / "ckpt")
    files["run model.keras"] = result.model_path
    files["run checkpoint"] = str(tmp_path / "logs" / "ckpt" / "epoch-0001.keras")
    expected["run model.keras"] = expected["run checkpoint"] = result.model.predict(x, verbose=0)
    assert result.model_path == str(tmp_path / "logs" / "mnist_nn_dropout" / "keras" /
                                    "model.keras")

    # tfcourse compare's saved Keras tier (TF1Dense layers)
    comparison = labs.compare("mnist_nn_gd", dataset="synthetic", epochs=1, max_examples=200,
                              tiers=("legacy", "keras"), resume_dir=tmp_path / "resume")
    files["compare checkpoint"] = str(tmp_path / "resume" / "keras-seed0" / "epoch-0001.keras")
    expected["compare checkpoint"] = comparison.runs["keras"].model.predict(x, verbose=0)

    # tfcourse.training.train(checkpoint_dir=...) on a course model
    spec = models.preset("mlp", input_size=784, hidden_sizes=(8,), kernel_initializer="he",
                         batch_norm=True, keep_prob=0.9)
    model = models.build_model(spec, seed=0)
    model.compile(optimizer=optimizers.Adam(0.01, convention="course"), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    training.train(model, x, np.arange(6) % 2, batch_size=3, epochs=1,
                   checkpoint_dir=tmp_path / "train")
    files["train checkpoint"] = str(tmp_path / "train" / "epoch-0001.keras")
    expected["train checkpoint"] = model.predict(x, verbose=0)

    # a tfcourse tune trial's epoch checkpoint (the hypermodel's network)
    trial_model = CourseHyperModel(num_train=6).build(keras_tuner.HyperParameters())
    path = checkpointing.save_checkpoint(trial_model, tmp_path / "trial", 1)
    files["tune trial checkpoint"] = path
    expected["tune trial checkpoint"] = trial_model.predict(x, verbose=0)

    np.save(tmp_path / "x.npy", x)
    completed = subprocess.run([sys.executable, "-c", LOAD_EACH, json.dumps(files),
                                str(tmp_path / "x.npy")], capture_output=True, text=True,
                               timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "registered before: False" in completed.stdout
    for kind, path in files.items():
        for loader in ("keras", "tfcourse"):
            np.testing.assert_array_equal(np.load(f"{path}.{loader}_loaded.npy"), expected[kind],
                                          err_msg=f"{kind} through {loader}")
    assert "run model.keras Functional tfcourse.optimizers.adam" in completed.stdout
    assert "run checkpoint StepLossModel" in completed.stdout


def test_component_modules_cover_every_registered_class():
    from pathlib import Path

    from tfcourse.saving import COMPONENT_MODULES

    package = Path(tfcourse.__file__).parent
    registering = {
        ".".join(path.relative_to(package.parent).with_suffix("").parts)
        for path in package.rglob("*.py")
        if "register_keras_serializable(" in path.read_text(encoding="utf-8")
    }
    covered = {name for name in registering
               if any(name == module or name.startswith(module + ".")
                      for module in COMPONENT_MODULES)}
    assert registering == covered, sorted(registering - covered)
