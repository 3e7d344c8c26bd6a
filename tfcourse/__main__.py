"""``python -m tfcourse`` runs the ``tfcourse`` command."""

import sys

from tfcourse.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
