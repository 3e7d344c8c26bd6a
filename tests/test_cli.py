"""The `tfcourse` command: help without TensorFlow, version, data info, error paths."""

import json
import subprocess
import sys

import pytest

from tfcourse.cli.main import main


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_help_lists_subcommands_without_importing_tensorflow():
    result = run_python(
        "import sys\n"
        "from tfcourse.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('LOADED', sorted(m for m in ('tensorflow', 'keras', 'numpy') if m in sys.modules))"
    )
    assert result.returncode == 0, result.stderr
    assert "version" in result.stdout and "data" in result.stdout
    assert "LOADED []" in result.stdout


def test_import_tfcourse_does_not_import_tensorflow():
    result = run_python(
        "import sys, tfcourse\nprint(tfcourse.__version__, 'tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1:] == ["False", "False"]


def test_console_script_runs_help():
    result = subprocess.run(["tfcourse", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "usage: tfcourse" in result.stdout


def test_no_subcommand_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: tfcourse" in capsys.readouterr().out


def test_version_reports_every_framework(capsys):
    assert main(["version", "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    import keras
    import tensorflow as tf

    import tfcourse

    assert info["tfcourse"] == tfcourse.__version__
    assert info["tensorflow"] == tf.__version__ and info["keras"] == keras.__version__
    assert info["keras_tuner"] and isinstance(info["gpus"], list)
    assert main(["version"]) == 0
    text = capsys.readouterr().out
    assert "keras_tuner" in text and "gpu" in text


def test_data_info_fashion_mnist(capsys, fashion_mnist_dir):
    assert main(["data", "info", "fashion_mnist", "--data-dir", fashion_mnist_dir]) == 0
    out = capsys.readouterr().out
    assert "60000 examples" in out and "10000 examples" in out
    assert "classes       10" in out and fashion_mnist_dir in out
    assert main(["data", "info", "fashion_mnist", "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["train_class_counts"] == [6000] * 10 and summary["num_classes"] == 10


def test_data_info_synthetic(capsys):
    assert main(["data", "info", "synthetic"]) == 0
    assert "source        generated" in capsys.readouterr().out


def test_missing_dataset_is_one_error_line_and_exit_1(capsys, tmp_path, monkeypatch):
    from tfcourse import data

    monkeypatch.setattr(data, "_SYSTEM_DIRS", {"mnist": (), "fashion_mnist": ()})
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    code = main(["data", "info", "mnist", "--data-dir", str(tmp_path / "none"), "--no-download"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: Cannot find the mnist dataset.")
    assert "Traceback" not in err


def test_debug_flag_shows_the_traceback(capsys, tmp_path, monkeypatch):
    from tfcourse import data

    monkeypatch.setattr(data, "_SYSTEM_DIRS", {"mnist": (), "fashion_mnist": ()})
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    code = main(["--debug", "data", "info", "mnist", "--data-dir", str(tmp_path), "--no-download"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback (most recent call last)" in err and "DatasetNotFoundError" in err


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["data", "info", "cifar10"], "argument DATASET: invalid choice: 'cifar10'"),
        (["nonsense"], "argument COMMAND: invalid choice: 'nonsense'"),
        (["version", "--format", "xml"], "argument --format: invalid choice: 'xml'"),
        (["data"], "the following arguments are required: ACTION"),
    ],
)
def test_usage_errors_exit_2_with_an_error_line(capsys, argv, expected):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"error: {expected}" in err
