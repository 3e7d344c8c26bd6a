"""Run ``tfcourse`` subcommands of the monitoring area (board, plot) in tests.

``tfcourse.cli.main.SUBCOMMANDS`` lists the registered subcommand modules.
Until ``board`` and ``plot`` are listed there, :func:`register` adds them to
the running process (the module is unchanged on disk); once they are, it
does nothing, so the tests always go through ``tfcourse.cli.main.main``.
"""

from __future__ import annotations

import importlib.util

MONITORING_COMMANDS = ("board", "plot")

# The same for a child process: python -c MAIN_CODE <args...>
MAIN_CODE = (
    "import importlib.util, sys\n"
    "from tfcourse.cli import main as cli\n"
    "cli.SUBCOMMANDS = tuple(cli.SUBCOMMANDS) + tuple(\n"
    f"    name for name in {MONITORING_COMMANDS!r} if name not in cli.SUBCOMMANDS\n"
    "    and importlib.util.find_spec(f'tfcourse.cli.{name}'))\n"
    "sys.exit(cli.main(sys.argv[1:]))\n"
)


def register(monkeypatch) -> None:
    """Make sure ``main`` knows the monitoring subcommands (for this test only)."""
    from tfcourse.cli import main as cli

    missing = tuple(
        name for name in MONITORING_COMMANDS
        if name not in cli.SUBCOMMANDS and importlib.util.find_spec(f"tfcourse.cli.{name}")
    )
    if missing:
        monkeypatch.setattr(cli, "SUBCOMMANDS", tuple(cli.SUBCOMMANDS) + missing)
