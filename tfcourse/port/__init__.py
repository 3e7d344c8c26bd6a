"""``tfcourse port``: a TF1 program becomes a readable, runnable Keras 3 program.

The porter is a small compiler, laid out like one:

* :mod:`~tfcourse.port.capture`: run the unchanged program under
  :mod:`tfcourse.compat` far enough to see its graph, its feeds and its first
  steps;
* :mod:`~tfcourse.port.graph` and :mod:`~tfcourse.port.matcher`: the graph
  with the program lines that made each op, and patterns written in TF1
  itself, matched against it;
* :mod:`~tfcourse.port.patterns`: the table of what ports (read it top to
  bottom);
* :mod:`~tfcourse.port.lowering`: the model of each ``minimize``: inputs,
  layers, loss, metrics, optimizer;
* :mod:`~tfcourse.port.source` and :mod:`~tfcourse.port.emit`: the program
  rewritten statement by statement into Keras 3.

:func:`port` runs them in order and returns a :class:`PortResult`;
``tfcourse compare PROGRAM.py`` runs the original and the result side by side.
"""

from __future__ import annotations

import ast
import dataclasses
import os
from pathlib import Path
from typing import Any

__all__ = ["PortResult", "build_models", "default_output", "port"]


@dataclasses.dataclass
class PortResult:
    """A ported program.

    Attributes:
        program: the TF1 program's path.
        source: the Keras 3 program's text.
        layers: rows (model, layer name, Keras layer, TF1 line, pattern, standard?).
        weights: per model, ``(layer name, Weight)`` rows
            (:class:`~tfcourse.port.lowering.Weight`: the TF1 variables a Keras weight is made of).
        line_map: Keras program line -> TF1 program line.
        notes: what was translated with a remark, for the reader.
        capture: the :class:`~tfcourse.port.capture.Capture` the port came from.
        plans: the :class:`~tfcourse.port.lowering.ModelPlan` of each model.
    """

    program: Path
    source: str
    layers: list
    weights: list
    line_map: dict
    notes: list
    capture: Any = None
    plans: list = dataclasses.field(default_factory=list)
    rewriter: Any = None

    @property
    def standard_layers(self) -> int:
        return sum(1 for row in self.layers if row[5])

    @property
    def custom_layers(self) -> int:
        return sum(1 for row in self.layers if not row[5])

    def write(self, path: str | os.PathLike) -> Path:
        """Write the Keras program to ``path`` (atomically) and return the path."""
        from tfcourse.checkpointing import atomic_write  # noqa: PLC0415

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda temporary: Path(temporary).write_text(self.source,
                                                                        encoding="utf-8"))
        return path

    def summary(self) -> str:
        """One line per model: what its layers became."""
        lines = []
        models = sorted({row[0] for row in self.layers})
        for model in models:
            rows = [row for row in self.layers if row[0] == model]
            kinds: dict = {}
            for row in rows:
                kinds[row[2]] = kinds.get(row[2], 0) + 1
            listing = ", ".join(f"{kind} x{count}" if count > 1 else kind
                                for kind, count in kinds.items())
            custom = sum(1 for row in rows if not row[5])
            lines.append(f"model {model + 1}: {len(rows)} layers ({listing}); "
                         f"{len(rows) - custom} standard, {custom} custom")
        return "\n".join(lines) if lines else "no model (the program trains nothing)"


def default_output(program: str | os.PathLike) -> Path:
    """``PROGRAM_keras.py`` beside ``PROGRAM.py``."""
    program = Path(program)
    return program.with_name(f"{program.stem}_keras.py")


def port(program: str | os.PathLike, *, argv=(), dataset: str | None = None,
         max_examples: int | None = None, seed: int | None = None, real_steps: int | None = 3,
         capture=None) -> PortResult:
    """Port the TF1 program at ``program`` to Keras 3 (see the module docstring).

    Args:
        program: the TF1 ``.py`` file (unchanged, as ``tfcourse legacy run`` takes it).
        argv: its command-line arguments.
        dataset, max_examples, seed: the legacy run's knobs while it is captured
            (``dataset="fashion_mnist"`` offline).
        real_steps: training steps run for real while capturing.
        capture: an existing :class:`~tfcourse.port.capture.Capture` of the
            program (``tfcourse compare`` captures while it runs the program).

    Raises:
        tfcourse.port.capture.CaptureError: the program failed when run.
        tfcourse.port.lowering.PortError: something cannot be ported; the
            message names the program's file:line and what.
    """
    from tfcourse._runtime import tensorflow_logger_level  # noqa: PLC0415
    from tfcourse.port.capture import capture as run_capture  # noqa: PLC0415
    from tfcourse.port.lowering import plan_models  # noqa: PLC0415
    from tfcourse.port.source import ProgramRewriter  # noqa: PLC0415

    program = Path(program)
    if capture is None:
        capture = run_capture(program, argv=argv, dataset=dataset, max_examples=max_examples,
                              seed=seed, real_steps=real_steps)
    with tensorflow_logger_level():
        plans, graph = plan_models(capture)
        rewriter = ProgramRewriter(capture, plans, graph)
        rewritten = rewriter.rewrite()
    source, line_map = _assemble(program, capture, rewritten, rewriter)
    return PortResult(program, source, rewritten.layers, rewritten.weights, line_map,
                      rewritten.notes, capture, plans, rewriter)


def _assemble(program: Path, capture, rewritten, rewriter):
    """The Keras program's text and its line map: header, imports, generated classes, body."""
    from tfcourse import __version__  # noqa: PLC0415
    from tfcourse.port.emit import wrap_line  # noqa: PLC0415

    original_doc = ast.get_docstring(capture.tree) or ""
    result = PortResult(program, "", rewritten.layers, [], {}, [])
    header = [f"Keras 3 version of {program.name}, written by `tfcourse port` (tfcourse "
              f"{__version__})."]
    if original_doc:
        header += ["", "The TF1 program's docstring:", ""]
        header += ["    " + line if line else "" for line in original_doc.splitlines()]
    header += ["", "Layers: " + result.summary().replace("\n", "; ") + "."]
    if any(row[2] == "TF1Dense" for row in rewritten.layers):
        header += ["TF1Dense is keras.layers.Dense adding its bias as `tf.matmul(X, W) + b` did "
                   "(AddV2, not",
                   "BiasAdd), so training follows the TF1 program to the last bit; "
                   "keras.layers.Dense can replace it."]
    header += [f"Compare it with the TF1 program step by step: tfcourse compare {program}"]
    lines: list[tuple[str, int | None]] = [
        (line, None) for line in ('"""' + "\n".join(header).replace('"""', "'''")
                                  + '\n"""').splitlines()]
    docstring_lines = set()
    first = capture.tree.body[0] if capture.tree.body else None
    if original_doc and isinstance(first, ast.Expr):
        docstring_lines = set(range(first.lineno, first.end_lineno + 1))
    original = capture.source.splitlines()
    body = []
    for text, origin in rewritten.lines:
        if origin in docstring_lines and text.strip() != "__IMPORTS__":
            continue
        kept = origin is not None and 0 < origin <= len(original) and \
            text.strip() == original[origin - 1].strip()
        if kept or text.strip() == "__IMPORTS__":
            body.append((text, origin))
        else:
            body += [(piece, origin) for piece in wrap_line(text)]
    code = "\n".join(text for text, _ in body) + "\n".join(rewriter.prelude)
    present = {text for text, _ in body if text and not text[0].isspace()}
    imports = [line for line in _imports_used(code, rewriter.imports) if line not in present]
    prelude = [(line, None) for line in rewriter.prelude]
    if prelude:
        prelude = [("", None), ("", None), *prelude, ("", None)]
    marker = next((i for i, (text, _) in enumerate(body) if text.strip() == "__IMPORTS__"), None)
    block = [(line, None) for line in imports] + prelude
    if marker is None:
        body = block + [("", None)] + body
    else:
        body[marker:marker + 1] = block
    lines += body
    lines = _collapse_blank(lines)
    text = "\n".join(line for line, _ in lines).rstrip() + "\n"
    line_map = {number: origin for number, (_, origin) in enumerate(lines, start=1)
                if origin is not None}
    return text, line_map


def _collapse_blank(lines: list) -> list:
    result, blank = [], 0
    for item in lines:
        if not item[0].strip():
            blank += 1
            if blank > 2:
                continue
        else:
            blank = 0
        result.append(item)
    while result and not result[-1][0].strip():
        result.pop()
    return result


def _imports_used(code: str, candidates: set) -> list[str]:
    """The import lines the generated code needs, in a fixed order."""
    import re  # noqa: PLC0415

    needed = []
    if re.search(r"\bnp\.", code):
        needed.append("import numpy as np")
    if re.search(r"\btf\.", code):
        needed.append("import tensorflow as tf")
    if re.search(r"\bkeras\.", code):
        needed.append("import keras")
    if re.search(r"\btfcourse\.(initializers|layers|optimizers)\.", code):
        needed.append("import tfcourse")
    if "from tfcourse.data import input_data" in candidates:
        needed.append("from tfcourse.data import input_data")
    return needed


def _import_order(line: str) -> tuple:
    order = ["import numpy as np", "import tensorflow as tf", "import keras"]
    if line in order:
        return (0, order.index(line))
    return (1, line)


def build_models(result: PortResult, dense: str = "tf1") -> list:
    """The ported models as Keras objects (:func:`tfcourse.port.build.build_models`)."""
    from tfcourse.port.build import build_models as build  # noqa: PLC0415

    return build(result, dense=dense)
