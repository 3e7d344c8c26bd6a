"""The catalogue of the course's TF1 programs in ``legacy_tf1/``.

Each program's docstring starts with a one-line title and holds a
``Seed:`` line (the seed file and slide it comes from) and a
``Course result:`` line (what the course reports, or "none reported").
:func:`legacy_programs` reads them, so labs and the CLI can list the
programs without running them.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

LEGACY_DIR = Path(__file__).resolve().parents[2] / "legacy_tf1"


@dataclasses.dataclass(frozen=True)
class LegacyProgram:
    """One TF1 program of ``legacy_tf1/``.

    Attributes:
        name: the file name without ``.py`` (``mnist_nn_dropout``).
        path: the file.
        title: the docstring's first line.
        seed: the ``Seed:`` entry (seed file and slide).
        course_result: the ``Course result:`` entry.
    """

    name: str
    path: Path
    title: str
    seed: str
    course_result: str


def _field(docstring: str, label: str) -> str:
    match = re.search(rf"^{label}:\s*(.*?)(?=^\w[\w ]*:|\Z)", docstring, re.M | re.S)
    return " ".join(match.group(1).split()) if match else ""


def read_program(path: str | Path) -> LegacyProgram:
    """The catalogue entry of one program file."""
    path = Path(path)
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return LegacyProgram(
        name=path.stem,
        path=path,
        title=docstring.splitlines()[0] if docstring else "",
        seed=_field(docstring, "Seed"),
        course_result=_field(docstring, "Course result"),
    )


def legacy_programs(directory: str | Path | None = None) -> dict[str, LegacyProgram]:
    """Every program of ``legacy_tf1/`` (or ``directory``), by name, sorted.

    Raises:
        FileNotFoundError: the folder does not exist (``legacy_tf1/`` ships with
            the source tree, not with a wheel).
    """
    directory = Path(directory) if directory is not None else LEGACY_DIR
    if not directory.is_dir():
        raise FileNotFoundError(
            f"No legacy_tf1 folder at {directory}: the course's TF1 programs ship with the "
            "tfcourse source tree (git clone), not with the installed package"
        )
    return {path.stem: read_program(path) for path in sorted(directory.glob("*.py"))}
