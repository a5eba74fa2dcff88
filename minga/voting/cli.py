"""`minga pb …` and `minga stv …`: counts from files, with no database."""

import sys


def main(argv: list[str]) -> int:
    command, rest = argv[0], argv[1:]
    if command == "pb":
        from minga.voting.pb_cli import main as pb_main

        return pb_main(rest)
    if command == "stv":
        from minga.voting.stv_cli import main as stv_main

        return stv_main(rest)
    print(f"minga: unknown command {command!r}", file=sys.stderr)
    return 2
