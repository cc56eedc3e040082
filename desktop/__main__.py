"""``python -m desktop``: the desktop app; with a command (analyze, explain, brief, dispute, import, actions, renewal) the CLI."""

from __future__ import annotations

import sys

CLI_COMMANDS = {"analyze", "explain", "brief", "dispute", "import", "actions", "renewal", "-h", "--help"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in CLI_COMMANDS:
        from desktop.cli import main as cli_main

        return cli_main(argv)
    from desktop.app import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    sys.exit(main())
