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


def test_version_reads_package_metadata_without_tensorflow():
    result = run_python(
        "import json, sys\n"
        "from tfcourse.cli.main import main\n"
        "main(['version', '--format', 'json'])\n"
        "print('LOADED', sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    assert result.returncode == 0, result.stderr
    text, loaded = result.stdout.rsplit("LOADED", 1)
    assert loaded.split() == ["[]"]
    info = json.loads(text)
    assert info["gpus"] is None  # not looked for without --gpus
    assert result.stderr == ""  # no starting line: nothing starts
    import keras
    import keras_tuner
    import tensorboard
    import tensorflow as tf

    import tfcourse

    assert info["tfcourse"] == tfcourse.__version__
    assert (info["tensorflow"], info["keras"], info["keras_tuner"], info["tensorboard"]) == (
        tf.__version__, keras.__version__, keras_tuner.__version__, tensorboard.__version__)
    assert info["keras_backend"] == keras.backend.backend()


def test_version_gpus_starts_tensorflow_and_lists_them(capsys):
    assert main(["version", "--gpus"]) == 0
    captured = capsys.readouterr()
    import tensorflow as tf

    gpus = [device.name for device in tf.config.list_physical_devices("GPU")]
    expected = ", ".join(gpus) or "none visible (running on CPU)"
    assert f"gpu           {expected}" in captured.out.splitlines()
    assert captured.err == "Looking for GPUs (starting TensorFlow...)\n"
    assert main(["version"]) == 0
    assert "gpu           not checked (--gpus starts TensorFlow to list them)" in \
        capsys.readouterr().out


def test_starting_line_comes_before_tensorflow_is_imported(monkeypatch, capsys):
    from tfcourse import _runtime
    from tfcourse.cli import main as cli_main

    seen = []

    def import_tensorflow():
        seen.append(capsys.readouterr().err)  # what was printed before TensorFlow started
        raise RuntimeError("stop here")

    monkeypatch.setattr(_runtime, "import_tensorflow", import_tensorflow)
    assert cli_main.main(["compare", "xavier", "--dataset", "fashion_mnist", "--epochs", "1"]) == 1
    assert seen == ["Comparing mnist_nn_xavier on fashion_mnist, 1 epoch: legacy, port, keras "
                    "(starting TensorFlow...)\n"]
    assert capsys.readouterr().err == "error: stop here\n"
    assert cli_main.main(["run", "softmax", "--epochs", "1", "--quiet"]) == 1
    assert seen[1] == ""  # --quiet: no line


@pytest.mark.parametrize("argv, expected", [
    (["run", "softmax", "--epochs", "0"],
     "error: argument --epochs: `epochs` must be an integer in [1, inf). Received: epochs=0"),
    (["compare", "softmax", "--epochs", "two"],
     "error: argument --epochs: `epochs` must be an integer in [1, inf). Received: "
     "epochs='two'"),
    (["legacy", "run", "x.py", "--max-steps", "0"],
     "error: argument --max-steps: `max_steps` must be an integer in [1, inf). Received: "
     "max_steps=0"),
])
def test_bad_counts_are_refused_while_parsing(capsys, argv, expected):
    assert main(argv) == 2
    assert expected in capsys.readouterr().err.splitlines()
    # refused by argparse, so before any TensorFlow: the subprocess check is in
    # test_epochs_zero_is_refused_without_tensorflow


def test_epochs_zero_is_refused_without_tensorflow():
    result = run_python(
        "import sys\n"
        "from tfcourse.cli.main import main\n"
        "code = main(['run', 'softmax', '--epochs', '0'])\n"
        "print(code, sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    assert result.stdout.split() == ["2", "[]"], result.stderr


def test_misspelled_subcommand_and_lab_get_a_suggestion(capsys):
    assert main(["compar", "xavier"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'compar'" in err and err.rstrip().endswith("; did you mean 'compare'?")
    assert main(["run", "mnist_nn_xavir", "--quiet"]) == 1
    assert capsys.readouterr().err.rstrip().endswith("Received: lab='mnist_nn_xavir'. Did you "
                                                     "mean 'mnist_nn_xavier'?")
    assert main(["data", "info", "fashion-mnist"]) == 2
    assert "did you mean 'fashion_mnist'?" in capsys.readouterr().err


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


def test_data_dir_is_taken_wherever_a_dataset_is_read(tmp_path, monkeypatch, capsys,
                                                      fashion_mnist_dir):
    from tfcourse import data

    # no system folder, an empty Keras cache, no download: only --data-dir has the files
    monkeypatch.setattr(data, "_SYSTEM_DIRS", {"mnist": (str(tmp_path / "none"),),
                                               "fashion_mnist": (str(tmp_path / "none"),)})
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))

    def no_download(name):
        raise OSError("offline")

    monkeypatch.setattr(data, "_keras_download", no_download)
    for name in ("TFCOURSE_DATA_DIR", "TFCOURSE_MAX_EXAMPLES", "TFCOURSE_DATASET"):
        monkeypatch.delenv(name, raising=False)
    small = ["--dataset", "fashion_mnist", "--max-examples", "200"]
    assert main(["run", "softmax", "--tier", "port", "--epochs", "1", "--quiet",
                 "--logdir", str(tmp_path / "logs"), *small]) == 1
    assert "error: Cannot find the fashion_mnist dataset." in capsys.readouterr().err
    commands = [  # and what each prints
        (["run", "softmax", "--tier", "port", "--epochs", "1", "--quiet", "--logdir",
          str(tmp_path / "logs"), *small], "[port] on fashion_mnist: 1 epoch, final cost"),
        (["compare", "softmax", "--tiers", "port", "--epochs", "1", "--quiet", "--no-plot",
          "--logdir", str(tmp_path / "logs"), *small], "1 epoch x 2 steps of 100"),
        (["legacy", "run", "legacy_tf1/mnist_softmax.py", *small], "Accuracy: "),
    ]
    for argv, printed in commands:
        assert main([*argv, "--data-dir", fashion_mnist_dir]) == 0, capsys.readouterr().err
        assert printed in capsys.readouterr().out
    assert "TFCOURSE_DATA_DIR" not in __import__("os").environ  # only for the command


def test_plot_out_ending_in_png_is_the_file(tmp_path, capsys):
    assert main(["plot", "ewa", "--out", str(tmp_path / "figures" / "averages.png")]) == 0
    path = tmp_path / "figures" / "averages.png"
    assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {path}" in capsys.readouterr().out
