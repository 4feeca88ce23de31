"""Entry point for ``python -m cleanaudit`` and the ``cleanaudit`` console script."""

from __future__ import annotations

import sys


def main() -> None:
    from cleanaudit.cli.app import run

    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
