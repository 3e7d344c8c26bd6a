"""Run an unmodified TF1 program: ``tfcourse legacy run program.py``.

:func:`run_script` executes a course-style TF1 file in this process:

* its ``import tensorflow as tf``, ``from tensorflow.examples.tutorials.mnist
  import input_data`` and ``tf.contrib...`` resolve to :mod:`tfcourse.compat.v1`.
  Only the script's own import statements are redirected (it runs with its own
  ``__import__``); ``sys.modules`` and the rest of the process are untouched,
  and modules the script imports from elsewhere see the real TensorFlow;
* it builds into a fresh graph inside :func:`tfcourse.compat.legacy_graph`, so
  the process is still eager afterwards and Keras 3 code can run next;
* the knobs of :mod:`tfcourse.compat.settings` (data set, size, step cap, seed,
  initial weights) apply to the run, and a :class:`~tfcourse.compat.trace.Trace`
  is recorded when asked;
* with a step cap (``--max-steps N``, ``TFCOURSE_MAX_STEPS``), the program is
  stopped when it asks for training step N + 1: the rest of its loop and its
  closing lines do not run, and :class:`ScriptResult` (and the command, on
  stderr) says so. A program that ends within N steps runs to its end.

``python -m tfcourse.compat.runner program.py [--dataset fashion_mnist]`` does
the same in a fresh process.
"""

from __future__ import annotations

import argparse
import builtins
import contextlib
import dataclasses
import importlib
import os
import sys
import traceback
import types
from pathlib import Path
from typing import Any, Sequence

from tfcourse._runtime import tensorflow_logger_level
from tfcourse._validation import check_int
from tfcourse.compat import settings as _settings

# The import lines of legacy_tf1/ and the course's originals they replace.
ORIGINAL_IMPORTS = (
    ("import tfcourse.compat.v1 as tf", "import tensorflow as tf"),
    (
        "from tfcourse.compat.v1.examples.tutorials.mnist import input_data",
        "from tensorflow.examples.tutorials.mnist import input_data",
    ),
)


def original_source(path: str | os.PathLike) -> str:
    """The text of a ``legacy_tf1`` program with the course's import lines put back."""
    text = Path(path).read_text(encoding="utf-8")
    for ours, original in ORIGINAL_IMPORTS:
        text = text.replace(ours, original)
    return text


@dataclasses.dataclass
class ScriptResult:
    """What :func:`run_script` returns.

    Attributes:
        path: the script.
        exit_code: 0, or the code of a ``sys.exit`` the script called.
        trace: the recorded :class:`~tfcourse.compat.trace.Trace`, or None.
        namespace: the script's global variables when it ended (``sess``,
            ``avg_cost``, ``hypothesis``...).
        graph: the graph the script built into (the last one, after any
            ``tf.reset_default_graph()``).
        stopped_after_steps: N when the step cap stopped the program after
            its N-th training step, else None.
    """

    path: Path
    exit_code: int
    trace: Any
    namespace: dict
    graph: Any = None
    stopped_after_steps: int | None = None


class StepCapReached(BaseException):
    """Raised out of the program's ``sess.run`` of the first training step past the cap.

    A ``BaseException``, like ``SystemExit``: a program's ``except Exception``
    does not swallow it.
    """

    def __init__(self, steps: int):
        super().__init__(f"training stopped after {steps} steps (the step cap)")
        self.steps = steps


def _capped_trace(max_steps: int | None):
    """A :class:`~tfcourse.compat.trace.Trace` that stops the program after ``max_steps`` steps."""
    from tfcourse.compat.trace import Trace  # noqa: PLC0415

    class CappedTrace(Trace):
        observes_runs = max_steps is not None

        def observe_run(self, session, fetches, feed_dict, run, run_options):
            # the program asks for one more training step than the cap allows
            if len(self.losses) >= max_steps and session.train_ops_of(fetches):
                raise StepCapReached(len(self.losses))
            return run(fetches, feed_dict, *run_options)

    return CappedTrace()


def _import_legacy(name: str, fromlist) -> Any:
    from tfcourse.compat.removed import UnsupportedSymbolError  # noqa: PLC0415

    root = importlib.import_module("tfcourse.compat.v1")
    target: Any = root
    for part in name.split(".")[1:]:
        try:
            target = getattr(target, part)
        except UnsupportedSymbolError:
            raise
        except AttributeError:
            # Not part of the TF1 API (tensorflow.python.*, tensorflow.core.*): the real module.
            real = importlib.import_module(name)
            return real if fromlist else root
    if fromlist:
        for item in fromlist:
            if item != "*":
                # Raise our message here: `from x import y` would turn an
                # AttributeError into a bare "cannot import name".
                getattr(target, item)
    return target if fromlist else root


def _redirecting_import(name, globals=None, locals=None, fromlist=(), level=0):
    if level == 0 and (name == "tensorflow" or name.startswith("tensorflow.")):
        return _import_legacy(name, fromlist)
    return builtins.__import__(name, globals, locals, fromlist, level)


@contextlib.contextmanager
def _as_main(path: Path, argv: Sequence[str], module: types.ModuleType):
    saved_argv, saved_path = sys.argv, list(sys.path)
    saved_main = sys.modules.get("__main__")
    sys.argv = [str(path), *argv]
    sys.path.insert(0, str(path.parent))
    sys.modules["__main__"] = module  # tf.app.run() looks up __main__.main
    try:
        yield
    finally:
        sys.argv = saved_argv
        sys.path[:] = saved_path
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
        else:
            sys.modules.pop("__main__", None)


def run_script(
    path: str | os.PathLike,
    argv: Sequence[str] = (),
    *,
    dataset: str | None = None,
    max_examples: int | None = None,
    max_steps: int | None = None,
    seed: int | None = None,
    init: Any = None,
    trace: bool | str | os.PathLike | None = None,
    source: str | None = None,
    redirect_imports: bool = True,
) -> ScriptResult:
    """Run a TF1 program file in this process, in its own graph (see the module docstring).

    Args:
        path: the ``.py`` file.
        argv: the script's command-line arguments (``sys.argv[1:]`` inside it).
        dataset, max_examples, max_steps, seed, init: the knobs of
            :mod:`tfcourse.compat.settings` for this run (``None``: the
            ``TFCOURSE_*`` variable, else the program's own behaviour).
        trace: ``True`` records a trace into the result; a path also saves it
            there; ``None`` records only when ``TFCOURSE_TRACE`` is set (and
            saves it there).
        source: run this text as if it were the file's (for generated variants).
        redirect_imports: resolve the script's ``tensorflow`` imports to
            :mod:`tfcourse.compat.v1` (default).

    Returns:
        A :class:`ScriptResult`. Exceptions raised by the script propagate
        unchanged (graph and imports are restored first).
    """
    from tfcourse._runtime import import_tensorflow  # noqa: PLC0415
    from tfcourse.compat import trace as _trace  # noqa: PLC0415
    from tfcourse.compat.graph import legacy_graph  # noqa: PLC0415

    path = Path(path)
    if source is None:
        if not path.is_file():
            raise FileNotFoundError(f"No TF1 program at {path}")
        source = path.read_text(encoding="utf-8")
    code = compile(source, str(path), "exec")
    import_tensorflow()

    if trace is None and os.environ.get(_settings.ENVIRONMENT["trace"]):
        trace = os.environ[_settings.ENVIRONMENT["trace"]]
    save_to = None if isinstance(trace, bool) or trace is None else Path(trace)

    module = types.ModuleType("__main__")
    namespace = module.__dict__
    script_builtins = dict(builtins.__dict__)
    if redirect_imports:
        script_builtins["__import__"] = _redirecting_import
    namespace.update({"__file__": str(path), "__builtins__": script_builtins})

    exit_code, stopped_after = 0, None
    with contextlib.ExitStack() as stack:
        knobs = stack.enter_context(_settings.overrides(
            dataset=dataset, max_examples=max_examples, max_steps=max_steps, seed=seed, init=init,
        ))
        cap = knobs.max_steps if knobs.max_steps else None
        # a step cap needs the steps counted; inside another recording (tfcourse
        # compare's) that one counts, and the session's no-op cap applies
        if trace or (cap is not None and _trace.current() is None):
            recorder = stack.enter_context(_trace.recording(_capped_trace(cap)))
        else:
            recorder = None
        if recorder is not None:
            recorder.metadata.update({"script": str(path), "argv": list(argv),
                                      "settings": dataclasses.asdict(knobs)})
        scope = stack.enter_context(legacy_graph(seed=knobs.seed))
        stack.enter_context(tensorflow_logger_level())
        stack.enter_context(_as_main(path, argv, module))
        try:
            exec(code, namespace)  # noqa: S102  (running the user's program is the point)
        except StepCapReached as stop:
            stopped_after = stop.steps
        except SystemExit as exit_:
            exit_code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            if isinstance(exit_.code, str):
                print(exit_.code, file=sys.stderr)
        finally:
            if save_to is not None and recorder is not None:
                recorder.save(save_to)
    return ScriptResult(path=path, exit_code=exit_code, trace=recorder if trace else None,
                        namespace=namespace, graph=scope.graph, stopped_after_steps=stopped_after)


def script_location(error: BaseException, path: str | os.PathLike) -> str | None:
    """``"file:line"`` of the deepest frame of ``error`` inside the script, if any."""
    path = str(path)
    location = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == path:
            location = f"{path}:{frame.lineno}"
    return location


PROGRAM_ARGUMENTS_HELP = (
    "tfcourse's options (--dataset, --max-examples, --max-steps, --seed, --init, --trace, "
    "--data-dir) may come before or after SCRIPT; every other argument after SCRIPT goes to "
    "the program (its sys.argv[1:]), and everything after `--` goes to it as written: "
    "`legacy run my_lab.py --dataset fashion_mnist -- --seed 5` gives the program --seed 5.")


def _positive_int(name: str):
    """An argparse ``type``: an integer >= 1, refused while parsing with the usual message."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = text
        try:
            return check_int(name, value, low=1)
        except (TypeError, ValueError) as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", choices=_settings.DATASETS, default=None,
                        help="what input_data.read_data_sets loads (default: TFCOURSE_DATASET, "
                             "else the program's folder if it holds the IDX files, else mnist)")
    parser.add_argument("--max-examples", type=_positive_int("max_examples"), default=None,
                        metavar="N",
                        help="keep at most N examples per split (train, validation, test)")
    parser.add_argument("--max-steps", type=_positive_int("max_steps"), default=None, metavar="N",
                        help="stop the program after N training steps (it says so on stderr)")
    parser.add_argument("--seed", type=int, default=None,
                        help="graph seed set before the program runs (its tf.set_random_seed wins)")
    parser.add_argument("--init", default=None, metavar="NPZ",
                        help="initial weights by variable name, assigned after the initializer")
    parser.add_argument("--trace", default=None, metavar="NPZ",
                        help="write the run's trace (initial weights, batches, losses) here")
    parser.add_argument("--data-dir", default=None, metavar="DIR",
                        help="folder holding the dataset's *-idx?-ubyte.gz files or mnist.npz "
                             "(TFCOURSE_DATA_DIR for this run)")


class _OptionsError(Exception):
    pass


class _OptionsParser(argparse.ArgumentParser):
    def error(self, message: str):  # noqa: D401
        raise _OptionsError(message)


class _AfterScript(argparse.Action):
    """Everything after SCRIPT: tfcourse's own options, then the program's arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = _OptionsParser(add_help=False)
        _add_options(self.options)
        self.takes_value = {string for action in self.options._actions
                            for string in action.option_strings}

    def __call__(self, parser, namespace, values, option_string=None):
        values = list(values)
        program: list[str] = []
        ours: list[str] = []
        index = 0
        while index < len(values):
            token = values[index]
            if token == "--":
                program += values[index + 1:]
                break
            name = token.split("=", 1)[0]
            if name in self.takes_value:
                width = 1 if "=" in token else 2
                ours += values[index:index + width]
                index += width
            else:
                program.append(token)
                index += 1
        try:
            self.options.parse_args(ours, namespace)
        except _OptionsError as error:
            parser.error(str(error))
        setattr(namespace, self.dest, program)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``tfcourse legacy run`` (shared with ``python -m tfcourse.compat.runner``).

    See :data:`PROGRAM_ARGUMENTS_HELP` for how the arguments after the script split
    between tfcourse and the program.
    """
    parser.add_argument("script", metavar="SCRIPT", help="a TF1 program (import tensorflow as tf)")
    _add_options(parser)
    parser.add_argument("script_args", nargs=argparse.REMAINDER, action=_AfterScript,
                        metavar="[-- PROGRAM_ARGS]", help=PROGRAM_ARGUMENTS_HELP)


def run_from_arguments(args: argparse.Namespace) -> int:
    """Run ``args.script`` as parsed by :func:`add_arguments`; return its exit code.

    A step cap that stopped the program is reported on stderr.
    """
    script = Path(args.script)
    saved_data_dir = os.environ.get("TFCOURSE_DATA_DIR")
    if args.data_dir is not None:
        os.environ["TFCOURSE_DATA_DIR"] = os.fspath(args.data_dir)
    try:
        result = run_script(
            script, args.script_args or [], dataset=args.dataset, max_examples=args.max_examples,
            max_steps=args.max_steps, seed=args.seed, init=args.init, trace=args.trace,
        )
    except Exception as error:
        location = script_location(error, script)
        if location is None:
            raise
        raise RuntimeError(f"{location}: {type(error).__name__}: {error}") from error
    finally:
        if args.data_dir is not None:
            if saved_data_dir is None:
                os.environ.pop("TFCOURSE_DATA_DIR", None)
            else:
                os.environ["TFCOURSE_DATA_DIR"] = saved_data_dir
    if result.stopped_after_steps is not None:
        cap = (f"--max-steps {args.max_steps}" if args.max_steps is not None
               else f"{_settings.ENVIRONMENT['max_steps']}={result.stopped_after_steps}")
        print(f"Training stopped after {result.stopped_after_steps} steps ({cap}): the program "
              "ends there; the rest of its training loop and its closing lines did not run.",
              file=sys.stderr)
    return result.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tfcourse.compat.runner",
        description="Run an unmodified TF1 program on TensorFlow 2 (tfcourse.compat.v1).",
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run_from_arguments(args)
    except Exception as error:  # one error line, as the tfcourse command does
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
