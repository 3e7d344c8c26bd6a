"""Distributed search on loopback: a chief and two workers, resume, misconfigurations."""

import os
import socket
import sys
import time
from collections import Counter

import pytest

from tfcourse.tuning import distributed

from tuning_helpers import end_order, trial_statuses, tune, write_space


def test_chief_and_two_workers_then_resume_without_repeating_a_trial(tmp_path, capsys):
    space = write_space(tmp_path)
    directory = tmp_path / "run"
    argv = ["--space", str(space), "--dir", str(directory), "--workers", "2",
            "--timeout", "150", "--connect-timeout", "60"]
    started = time.monotonic()
    assert tune([*argv, "--max-trials", "3"]) == 0
    first = capsys.readouterr()
    assert sorted(end_order(directory)) == ["0", "1", "2"]
    assert {path.name for path in (directory / "logs").iterdir()} == {
        "chief.log", "worker0.log", "worker1.log"}
    chief_log = (directory / "logs" / "chief.log").read_text()
    assert "Chief serving the oracle on 127.0.0.1:" in chief_log
    ran_by = Counter(line.split()[0] for name in ("worker0", "worker1")
                     for line in (directory / "logs" / f"{name}.log").read_text().splitlines()
                     if line.startswith("[worker") and " trial " in line)
    assert sum(ran_by.values()) == 3 and set(ran_by) <= {"[worker0]", "[worker1]"}
    assert "(3 completed, 0 failed)" in first.out and "test accuracy = " in first.out

    # KerasTuner 1.4.8's chief would leave its last trial "ongoing" and run it again here.
    assert tune([*argv, "--max-trials", "5"]) == 0
    second = capsys.readouterr()
    assert "Resuming the search" in second.err
    order = end_order(directory)
    assert sorted(order) == ["0", "1", "2", "3", "4"], order  # each trial ended exactly once
    assert trial_statuses(directory) == {tid: "COMPLETED" for tid in ("0", "1", "2", "3", "4")}
    assert "(5 completed, 0 failed)" in second.out
    assert time.monotonic() - started < 240


def test_worker_without_chief_fails_within_the_connect_timeout(tmp_path):
    space = write_space(tmp_path)
    port = distributed.free_port()
    started = time.monotonic()
    with pytest.raises(distributed.ChiefUnreachableError,
                       match=rf"No chief answered at 127.0.0.1:{port} within 1.5 s"):
        tune(["--space", str(space), "--dir", str(tmp_path / "run"), "--role", "worker",
              "--oracle", f"127.0.0.1:{port}", "--connect-timeout", "1.5"])
    assert 1.5 <= time.monotonic() - started < 10
    assert not any(key.startswith("KERASTUNER_") for key in os.environ)


def test_chief_without_worker_fails_within_the_connect_timeout(tmp_path):
    space = write_space(tmp_path)
    port = distributed.free_port()
    started = time.monotonic()
    with pytest.raises(distributed.NoWorkerError,
                       match=rf"No worker called the chief on 127.0.0.1:{port} within 2 s"):
        tune(["--space", str(space), "--dir", str(tmp_path / "run"), "--role", "chief",
              "--oracle", f"127.0.0.1:{port}", "--connect-timeout", "2"])
    assert time.monotonic() - started < 60
    assert not any(key.startswith("KERASTUNER_") for key in os.environ)
    distributed.check_port_free("127.0.0.1", port)  # the chief's server was stopped


@pytest.fixture
def busy_port():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    yield listener.getsockname()[1]
    listener.close()


def test_port_in_use_is_refused_before_anything_starts(tmp_path, busy_port):
    space = write_space(tmp_path)
    for role in (["--role", "chief"], ["--workers", "2"]):
        started = time.monotonic()
        with pytest.raises(distributed.PortInUseError,
                           match=rf"Port {busy_port} on 127.0.0.1 is already in use"):
            tune(["--space", str(space), "--dir", str(tmp_path / "run"), *role,
                  "--oracle", f"127.0.0.1:{busy_port}"])
        assert time.monotonic() - started < 10
    assert not (tmp_path / "run" / "logs").exists()  # no process was started


def test_launcher_stops_everything_when_a_worker_fails(tmp_path):
    # Stand-ins for `tfcourse tune`: the chief would serve forever, the worker crashes.
    script = ("import sys, time\n"
              "if 'worker' in sys.argv: print('worker boom'); sys.exit(3)\n"
              "time.sleep(120)\n")
    started = time.monotonic()
    with pytest.raises(distributed.DistributedError,
                       match=r"(?s)The worker0 process exited with code 3; log .*worker0.log:.*worker boom"):
        distributed.launch([], tmp_path, 1, command=[sys.executable, "-c", script], timeout=60)
    assert time.monotonic() - started < 20  # the chief was killed, not waited for


def test_launcher_times_out_instead_of_hanging(tmp_path):
    script = "import time\ntime.sleep(120)\n"
    started = time.monotonic()
    with pytest.raises(distributed.DistributedError,
                       match=r"did not finish within 1.5 s \(--timeout\); still running: "
                             r"\['chief', 'worker0'\]"):
        distributed.launch([], tmp_path, 1, command=[sys.executable, "-c", script], timeout=1.5)
    assert time.monotonic() - started < 15


@pytest.mark.parametrize("argv,message", [
    (["--role", "worker"], "--role worker needs --oracle HOST:PORT"),
    (["--workers", "2", "--role", "chief", "--oracle", "127.0.0.1:1"],
     "--workers starts the chief and the workers itself"),
    (["--role", "worker", "--oracle", "127.0.0.1:1", "--worker-id", "chief2"],
     "--worker-id must not contain 'chief'"),
    (["--role", "worker", "--oracle", "127.0.0.1:1", "--overwrite"],
     "--overwrite belongs to the chief"),
    (["--oracle", "127.0.0.1:1"], "--oracle needs --workers N or --role chief|worker"),
    (["--workers", "2", "--timeout", "0"], "--timeout must be > 0"),
])
def test_usage_errors_exit_with_2(argv, message, capsys):
    assert tune(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("text", ["localhost", "127.0.0.1:", ":80", "host:port", "h:70000"])
def test_parse_address_rejects_bad_addresses(text):
    with pytest.raises(ValueError, match=r"`oracle"):
        distributed.parse_address(text)
