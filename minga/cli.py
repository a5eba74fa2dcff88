"""The `minga` command. `minga pb …` and `minga stv …` are pure counts that need no database
and run without Django; everything else is a Django management command (`minga serve`,
`minga migrate`, `minga demo`, `minga territories import`, `minga verify audit`, …)."""

import os
import sys

# Two-word commands map onto one management command each: `minga verify audit` runs
# `verify audit`, which is the `verify` command with its `audit` subcommand.
PURE_COMMANDS = {"pb", "stv"}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in PURE_COMMANDS:
        from minga.voting.cli import main as voting_main

        return voting_main(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minga.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["minga", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
