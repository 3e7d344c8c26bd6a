"""Promises the repository makes: README commands, CI, layout."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    quick_start = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", quick_start, flags=re.S)


def test_readme_quick_start_is_two_commands():
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in command for command in commands)
    assert commands[0].startswith("pip install -e . && tfcourse ")
    assert commands[1].startswith('pip install -e ".[dev]" && ')


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = readme_commands()[1]
    assert test_command in ci.splitlines(), "README test command must appear verbatim as a line of .ci/run"
    assert "dataset-fashion-mnist" in ci and "apt-get update" in ci
    assert '"$status" -eq 5' in ci, "pytest's exit 5 (no tests) must fail CI"


def test_log_and_tuning_folders_explain_themselves():
    for folder in ("logs", "tuning"):
        assert (ROOT / folder / "README.md").is_file()
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "logs/*" in ignored and "!logs/README.md" in ignored


def test_readme_python_example_runs(tmp_path, monkeypatch):
    text = (ROOT / "README.md").read_text()
    (example,) = [block for block in re.findall(r"```python\n(.*?)\n```", text, flags=re.S)
                  if "model.fit(" in block]
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(example, "README.md", "exec"), namespace)
    model, restored = namespace["model"], namespace["restored"]
    x = namespace["x_test"][:8]
    import numpy as np

    np.testing.assert_array_equal(model.predict(x, verbose=0), restored.predict(x, verbose=0))
    assert type(restored.optimizer).__module__.startswith("tfcourse.optimizers")
    assert int(restored.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy()) > 0
