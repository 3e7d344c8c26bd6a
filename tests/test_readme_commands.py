"""Every command of README.md runs as written, and says nothing on stderr that is not ours.

Issue 15, items 1, 6 and 12. The command lines are taken from the README's
``bash`` and ``text`` blocks (a ``tfcourse ...`` line, or the part after
``&&`` of the quick start's ``pip install -e . && tfcourse ...``: the
install is what CI does first). Each runs, in README order, with its
arguments as written, in one working folder that holds what the README's
paths name (a copy of ``legacy_tf1/`` and ``tuning/*.toml``, a ``my_lab.py``),
with:

* ``HOME`` a new empty folder: no Keras cache (``~/.keras``), no matplotlib
  cache, as on a fresh machine; the data come from the Debian package
  ``dataset-fashion-mnist`` (the quick start's offline case);
* ``TFCOURSE_MAX_EXAMPLES=300``: every dataset read keeps 300 examples per
  split (the README's knob; the programs and commands run as written);
* what :data:`APPENDED` adds to a command whose size is a flag, or whose
  port may be taken on a shared machine.

The quick start, ``tfcourse board`` and ``tfcourse tune`` run as the
``tfcourse`` console script, each in a fresh process. To keep CI short
(each process spends most of its time starting TensorFlow), the other
commands between two of those run one after the other in one Python
process through the same ``tfcourse.cli.main.main(argv)`` the console
script calls, each with its own stdout and stderr files (file descriptors
1 and 2, so native lines would land there too).

Every command must exit 0, and every stderr line must be one of ours
(:data:`OUR_LINES`): no TensorFlow native log line (``I0000``, ``E0000``...),
no Python warning, no ``WARNING:tensorflow``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = 300

APPENDED = {
    # TensorBoard's default port may be taken by another process on a shared machine
    "tfcourse board": lambda port: ["--port", str(port)],
    # a search's size is a flag, not a dataset knob: one trial (two with workers) on 300 images
    "tfcourse tune": lambda port: ["--max-trials", "1", "--num-train", str(EXAMPLES),
                                   "--num-test", "100"],
}

OUR_LINES = [
    r".+ \(starting TensorFlow\.\.\.\)",                                      # main.py
    r"\[(legacy|port|keras)( \d/\d)?(, seed \d+)?\] epoch \d+/\d+(: .+)?",    # labs/progress.py
    r"Resuming after epoch \d+ from .+ \(--overwrite starts afresh\)",        # cli/run.py
    r"Resuming from .+ \(--overwrite starts afresh\)",                        # cli/compare.py
    r"Training stopped after \d+ steps \(.+\): the program ends there; .+",   # compat/runner.py
    r"warning: '.+' does not exist yet; runs appear as they are written",     # cli/board.py
    r"Resuming the search in .+: \d+ trial\(s\) completed so far\.",          # tuning/search.py
    r"The search in .+ is complete \(\d+ trials\); nothing to do\. .+",        # tuning/search.py
    r"\[(tuner\d+|chief|worker\d+|oracle)\] .+",                                # tuning/search.py
    r"Final training: trial \S+'s configuration on \d+ examples .+",            # tuning/final.py
    r"The final training continues after epoch \d+ .+",                       # tuning/final.py
    r"Starting a chief and \d+ worker\(s\) on \S+; logs in .+",               # tuning/distributed.py
    r"Distributed search finished in [\d.]+ s",                               # cli/tune.py
    r"running the TF1 program .+ \(recording weights, mini-batches, losses\)",  # port/comparison
    r"  \d+ training steps in [\d.]+ s; porting",                              # port/comparison
    r"running the Keras version .+",                                          # port/comparison
]

MY_LAB = """\
# A TF1 program as a student wrote it: linear regression, y = 2x + 1.
import numpy as np
import tensorflow as tf

x_data = np.linspace(-1, 1, 20).astype(np.float32)
X = tf.placeholder(tf.float32)
W = tf.Variable(tf.random_normal([1]), name="weight")
b = tf.Variable(tf.random_normal([1]), name="bias")
cost = tf.reduce_mean(tf.square(X * W + b - (2 * X + 1)))
train = tf.train.GradientDescentOptimizer(learning_rate=0.1).minimize(cost)
with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for step in range(201):
        cost_value, _ = sess.run([cost, train], feed_dict={X: x_data})
    print("cost", cost_value, "W", sess.run(W), "b", sess.run(b))
"""


def readme_commands() -> list[str]:
    """The README's command lines, in order, without their comments."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```(?:bash|text)\n(.*?)\n```", text, flags=re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if " && tfcourse " in line:
                line = line.split(" && ", 1)[1]
            # the quick start chains its commands: `tfcourse legacy show ... > f && tfcourse ...`
            commands += [part for part in line.split(" && ") if part.startswith("tfcourse ")]
    return commands


COMMANDS = readme_commands()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redirect(command: str) -> tuple[str, str | None]:
    """``tfcourse legacy show X > my.py``: the command and the file its stdout goes to."""
    if " > " in command:
        command, target = command.split(" > ")
        return command.strip(), target.strip()
    return command, None


def _argv(command: str, port: int) -> list[str]:
    argv = _redirect(command)[0].split()
    for prefix, extra in APPENDED.items():
        if command.startswith(prefix + " ") or command == prefix:
            argv += extra(port)
    return argv


QUICK_START = 2
"""The quick start's first line chains two commands (saving a TF1 program, comparing it)."""

OWN_PROCESS = ("tfcourse board", "tfcourse tune")
"""Commands that run as a process of their own (besides the quick start, the first)."""

DRIVER = """
import json, os, sys
from tfcourse.cli.main import main

for index, argv in enumerate(json.loads(sys.argv[1])):
    codes = []
    for fd, name in ((1, "out"), (2, "err")):
        sys.stdout.flush(), sys.stderr.flush()
        target = os.open(f"{index}.{name}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        codes.append((fd, os.dup(fd)))
        os.dup2(target, fd)
        os.close(target)
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    finally:
        sys.stdout.flush(), sys.stderr.flush()
        for fd, saved in codes:
            os.dup2(saved, fd)
            os.close(saved)
    with open(f"{index}.code", "w") as handle:
        handle.write(str(code))
"""


def _in_one_process(commands, folder, env, port) -> dict:
    """Run ``commands`` one after the other through main(argv) in one process (see above)."""
    import json

    work = folder / f".driver-{len(list(folder.glob('.driver-*')))}"
    work.mkdir()
    argvs = [_argv(command, port)[1:] for command in commands]
    completed = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(argvs)], cwd=folder,
                               env=env, capture_output=True, text=True,
                               timeout=900)
    results = {}
    for index, command in enumerate(commands):
        # the driver writes its files into the working folder; move them aside
        files = {name: folder / f"{index}.{name}" for name in ("out", "err", "code")}
        code = files["code"].read_text() if files["code"].is_file() else None
        results[command] = subprocess.CompletedProcess(
            command, int(code) if code not in (None, "None") else completed.returncode,
            files["out"].read_text() if files["out"].is_file() else "",
            (files["err"].read_text() if files["err"].is_file() else completed.stderr))
        for path in files.values():
            if path.is_file():
                path.rename(work / path.name)
    return results


def _serve_until_ready(argv, folder, env) -> subprocess.CompletedProcess:
    """``tfcourse board``: wait for its URL line, load a page, stop it with Ctrl-C."""
    import urllib.request

    out, err = folder / "board.out", folder / "board.err"
    with open(out, "w") as out_file, open(err, "w") as err_file:
        process = subprocess.Popen(argv, cwd=folder, env=env, stdout=out_file, stderr=err_file)
    try:
        deadline = time.monotonic() + 120
        while "Ctrl-C to stop" not in out.read_text() and process.poll() is None:
            assert time.monotonic() < deadline, "tfcourse board printed no URL in 120 s"
            time.sleep(0.5)
        url = re.search(r"at (http://\S+) \(Ctrl-C", out.read_text())
        if url:
            with urllib.request.urlopen(url.group(1) + "data/runs", timeout=10) as response:
                response.read()
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    return subprocess.CompletedProcess(argv, code, out.read_text(), err.read_text())


@pytest.fixture(scope="module")
def finished(tmp_path_factory, fashion_mnist_dir):
    """Each README command, run in README order: command -> CompletedProcess."""
    folder = tmp_path_factory.mktemp("readme")
    home = tmp_path_factory.mktemp("home")
    shutil.copytree(ROOT / "legacy_tf1", folder / "legacy_tf1")
    (folder / "tuning").mkdir()
    for space in (ROOT / "tuning").glob("*.toml"):
        shutil.copy(space, folder / "tuning" / space.name)
    (folder / "my_lab.py").write_text(MY_LAB, encoding="utf-8")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("TFCOURSE_", "KERAS_", "MPL", "TF_CPP_"))}
    env.update({"HOME": str(home), "TFCOURSE_MAX_EXAMPLES": str(EXAMPLES),
                "CUDA_VISIBLE_DEVICES": ""})
    script = Path(sys.executable).with_name("tfcourse")  # the console script pip installs
    launcher = [str(script)] if script.is_file() else [sys.executable, "-m", "tfcourse"]
    results, waiting = {}, []
    for index, command in enumerate(COMMANDS):
        # the quick start's commands, a redirection (its file is read by the next command)
        own = index < QUICK_START or command.startswith(OWN_PROCESS) or _redirect(command)[1]
        if not own:
            waiting.append(command)
            continue
        if waiting:
            results.update(_in_one_process(waiting, folder, env, _free_port()))
            waiting = []
        argv = [*launcher, *_argv(command, _free_port())[1:]]
        if command.startswith("tfcourse board"):
            results[command] = _serve_until_ready(argv, folder, env)
        else:
            results[command] = subprocess.run(argv, cwd=folder, env=env, capture_output=True,
                                              text=True, timeout=600)
            target = _redirect(command)[1]
            if target is not None:
                (folder / target).write_text(results[command].stdout, encoding="utf-8")
    if waiting:
        results.update(_in_one_process(waiting, folder, env, _free_port()))
    return results


def test_the_readme_has_the_commands_this_test_expects():
    assert COMMANDS[:QUICK_START] == [
        "tfcourse legacy show mnist_nn_adam > my_mlp.py",
        "tfcourse compare my_mlp.py --dataset fashion_mnist --set training_epochs=2"]
    assert "tfcourse compare mnist_nn_xavier --dataset fashion_mnist --epochs 2" in COMMANDS
    assert "tfcourse legacy run legacy_tf1/mnist_nn_adam.py --dataset fashion_mnist" in COMMANDS
    assert any(command.startswith("tfcourse board") for command in COMMANDS)


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs_as_written_and_stderr_is_ours(finished, command):
    result = finished[command]
    assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    foreign = [line for line in result.stderr.splitlines()
               if line.strip() and not any(re.fullmatch(p, line) for p in OUR_LINES)]
    assert not foreign, f"{command}: lines on stderr that are not ours:\n" + "\n".join(foreign)


@pytest.mark.slow
def test_what_the_readme_commands_did(finished):
    main_job = finished[COMMANDS[1]]
    # 300 examples per split: 3 mini-batches of 100 per epoch, 2 epochs
    assert "PASS  Keras vs TF1, loss of the first 6 steps" in main_job.stdout
    assert "PASS  final accuracy, Keras vs TF1" in main_job.stdout
    assert "model 1: 3 layers (TF1Dense x3); 3 standard, 0 custom" in main_job.stdout
    assert main_job.stderr.splitlines()[0] == ("Comparing my_mlp.py with its Keras version "
                                              "(running the TF1 program first) (starting "
                                              "TensorFlow...)")
    assert "wrote logs/my_mlp/compare/my_mlp_keras.py" in main_job.stdout
    quick_start = finished["tfcourse compare mnist_nn_xavier --dataset fashion_mnist --epochs 2"]
    assert "PASS  keras vs legacy, final test accuracy" in quick_start.stdout
    assert max(len(line) for line in quick_start.stdout.splitlines()
               if not line.startswith("wrote ")) <= 100
    assert "Comparing mnist_nn_xavier on fashion_mnist, 2 epochs: legacy, port, keras " \
           "(starting TensorFlow...)" == quick_start.stderr.splitlines()[0]
    assert "[keras 3/3] epoch 2/2: cost" in quick_start.stderr  # plain lines: not a terminal
    adam = finished["tfcourse legacy run legacy_tf1/mnist_nn_adam.py --dataset fashion_mnist"]
    assert adam.stdout.count("Epoch:") == 15 and "Accuracy" in adam.stdout  # Fashion-MNIST, 300
    own = finished["tfcourse legacy run my_lab.py"]
    found = re.search(r"^cost \S+ W \[(\S+)\] b \[(\S+)\]$", own.stdout, re.M)
    assert found, own.stdout
    # y = 2x + 1 exactly: 200 gradient-descent steps at rate 0.1 reach it to float32 rounding
    assert abs(float(found.group(1)) - 2) < 1e-4 and abs(float(found.group(2)) - 1) < 1e-4
    longer = [c for c in COMMANDS if c.startswith("tfcourse run ")]
    assert "Resuming after epoch 2" in finished[longer[1]].stderr
    assert "model: logs/mnist_nn_xavier/keras/model.keras" in finished[longer[1]].stdout
    version = finished["tfcourse version"]
    assert "gpu           not checked" in version.stdout and version.stderr == ""
    tunes = [c for c in COMMANDS if c.startswith("tfcourse tune")]
    assert "TensorBoard logs (HParams, one run per trial): tuning/runs/fashion_mnist/tensorboard" \
        in finished[tunes[0]].stdout
