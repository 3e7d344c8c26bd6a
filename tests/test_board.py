"""`tfcourse board`: a real TensorBoard server over logs tfcourse.monitoring wrote.

One server (started by the command, in a child process, on a free loopback
port) answers every HTTP check; the last test stops it with Ctrl-C (SIGINT)
and the fixture kills it by PID if anything is left. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest


STARTUP_TIMEOUT_S = 90  # importing TensorFlow + the first scan of the logs on 2 busy cores
HPARAMS = {"sgd": {"optimizer": "sgd", "units": 16, "learning_rate": 0.5},
           "adam": {"optimizer": "adam", "units": 64, "learning_rate": 0.01}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_logs(root) -> None:
    """Two runs of one experiment, as `tfcourse compare` lays them out, plus one image."""
    import keras

    from tfcourse import monitoring

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4))
    y = (x[:, 0] > 0).astype("int64")
    monitoring.write_hparams_config(os.path.join(root, "optimizers"),
                                    {"optimizer": ["sgd", "adam"], "units": [16, 64],
                                     "learning_rate": (0.001, 1.0)})
    for run, hparams in HPARAMS.items():
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.Input((4,)),
                                  keras.layers.Dense(hparams["units"], activation="sigmoid", name="hidden"),
                                  keras.layers.Dense(2, activation="softmax", name="output")])
        optimizer = keras.optimizers.get({"class_name": hparams["optimizer"],
                                          "config": {"learning_rate": hparams["learning_rate"]}})
        model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, batch_size=16, epochs=2, validation_split=0.25, verbose=0,
                  callbacks=monitoring.run_callbacks(
                      monitoring.run_dir(root, "optimizers", run), (x[:16], y[:16]),
                      every_n_steps=2, histograms=True, hparams=hparams))
    import tensorflow as tf

    png = tf.io.encode_png(tf.zeros((8, 12, 3), tf.uint8)).numpy()
    monitoring.write_image(os.path.join(root, "plots"), "check/blank", png)


def get(url: str, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("logs")
    write_logs(root)
    port = free_port()
    out_path, err_path = root / "stdout.txt", root / "stderr.txt"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "tfcourse", "board", "--logdir", str(root), "--port", str(port),
             "--reload-interval", "1"],
            stdout=out, stderr=err, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )
    url = f"http://127.0.0.1:{port}"
    handle = {"process": process, "url": url, "port": port, "stdout": out_path, "stderr": err_path}
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"tfcourse board exited with {process.returncode}: {err_path.read_text()}")
            try:
                if "optimizers/adam/validation" in get(f"{url}/data/runs"):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no TensorBoard at {url} after {STARTUP_TIMEOUT_S} s: {err_path.read_text()}")
            time.sleep(0.5)
        yield handle
    finally:
        if process.poll() is None:
            process.kill()  # by PID; the Ctrl-C test normally stops it first
            process.wait(timeout=10)


def test_board_prints_its_loopback_url(server):
    assert f"at {server['url']}/ (Ctrl-C to stop)" in server["stdout"].read_text()


def test_board_listens_on_loopback_only(server):
    # /proc/net/tcp lists listening sockets (state 0A) as hex little-endian IPv4:port.
    listening = []
    with open("/proc/net/tcp") as table:
        for line in list(table)[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port = local.split(":")
            if int(port, 16) == server["port"] and state == "0A":
                listening.append(address)
    assert listening == ["0100007F"], listening  # 127.0.0.1, not 00000000 (all interfaces)


def test_runs_and_scalar_tags_appear(server):
    runs = get(f"{server['url']}/data/runs")
    for run in ("sgd", "adam"):
        assert {f"optimizers/{run}", f"optimizers/{run}/train", f"optimizers/{run}/validation"} <= set(runs)
    tags = get(f"{server['url']}/data/plugin/scalars/tags")
    train = set(tags["optimizers/sgd/train"])
    assert {"epoch_loss", "epoch_accuracy", "optimizer/learning_rate",
            "activations/hidden/p15", "activations/hidden/p50", "activations/hidden/p85",
            "preactivations/hidden/p50", "activations/hidden/saturated_fraction",
            "gradient_norm/hidden", "gradient_norm/output", "gradient_norm/global"} <= train
    assert {"epoch_loss", "epoch_accuracy"} <= set(tags["optimizers/adam/validation"])
    points = get(f"{server['url']}/data/plugin/scalars/scalars"
                 "?run=optimizers/adam/train&tag=optimizer/learning_rate")
    assert [step for _, step, _ in points] == [0, 1, 2, 3, 4, 5]  # 3 batches x 2 epochs
    assert all(value == pytest.approx(0.01) for _, _, value in points)


def test_histogram_and_image_tags_appear(server):
    tags = get(f"{server['url']}/data/plugin/histograms/tags")["optimizers/sgd/train"]
    assert {"weights/hidden/kernel", "gradients/hidden/kernel", "weights/output/bias",
            "gradients/output/bias"} <= set(tags)
    images = get(f"{server['url']}/data/plugin/images/tags")
    assert "check/blank" in images["plots"]


def test_hparams_appear_with_ints_as_numbers(server):
    experiment = get(f"{server['url']}/data/plugin/hparams/experiment", {"experimentName": ""})
    infos = {info["name"]: info for info in experiment["hparamInfos"]}
    assert set(infos) == {"optimizer", "units", "learning_rate"}
    assert infos["units"]["domainDiscrete"] == [16, 64]
    assert all(float(v).is_integer() for v in infos["units"]["domainDiscrete"])
    assert infos["optimizer"]["domainDiscrete"] == ["adam", "sgd"]
    metrics = {(m["name"]["group"], m["name"]["tag"]) for m in experiment["metricInfos"]}
    assert ("validation", "epoch_accuracy") in metrics
    groups = get(f"{server['url']}/data/plugin/hparams/session_groups",
                 {"experimentName": "", "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS",
                                                            "STATUS_FAILURE", "STATUS_RUNNING"],
                  "colParams": [], "startIndex": 0, "sliceSize": 10})
    found = {group["name"]: group for group in groups["sessionGroups"]}  # named by trial_id
    assert set(found) == {"sgd", "adam"}
    for run, hparams in HPARAMS.items():
        assert found[run]["hparams"] == hparams
        assert [session["name"] for session in found[run]["sessions"]] == [f"optimizers/{run}"]
        metrics = {(m["name"]["group"], m["name"]["tag"]) for m in found[run]["metricValues"]}
        assert ("validation", "epoch_accuracy") in metrics and ("train", "epoch_loss") in metrics


def test_board_stops_cleanly_on_ctrl_c(server):
    process = server["process"]
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    assert "TensorBoard stopped" in server["stdout"].read_text()
    with pytest.raises(OSError):
        get(f"{server['url']}/data/runs")


def test_port_in_use_gives_a_clear_error(monkeypatch, capsys, tmp_path):
    from tfcourse.cli.main import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["board", "--logdir", str(tmp_path), "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert f"error: port {port} on 127.0.0.1 is already in use" in err
    assert "--port" in err and f"Received: port={port}" in err


def test_bad_port_is_refused(monkeypatch, capsys, tmp_path):
    from tfcourse.cli.main import main

    assert main(["board", "--logdir", str(tmp_path), "--port", "70000"]) == 1
    assert "error: `port` must be an integer in [1, 65535]. Received: port=70000" in capsys.readouterr().err
