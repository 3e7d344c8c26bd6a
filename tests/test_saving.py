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
