import os

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def _port(value: str) -> int | None:
    """A TCP port number, or None when `value` is not one."""
    text = value.strip()
    if not text.isdigit() or not 0 < int(text) < 65536:
        return None
    return int(text)


class Command(BaseCommand):
    help = "Serves Minga at http://127.0.0.1:PORT (PORT from --port or the environment, 8000)."

    def add_arguments(self, parser: CommandParser) -> None:
        # Read in handle(), not here: a bad PORT in the environment must give a clear error,
        # not a traceback from building the argument parser.
        parser.add_argument("--port", default=None, help="TCP port (default: $PORT or 8000)")
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: object, host: str, port: str | None, **options: object) -> None:
        source, raw = ("--port", port) if port is not None else ("PORT", os.environ.get("PORT"))
        if raw is None:
            source, raw = "PORT", "8000"
        number = _port(raw)
        if number is None:
            self.stderr.write(f"{source}: {raw} is not a TCP port (1-65535)")
            raise SystemExit(2)
        call_command("runserver", f"{host}:{number}", use_reloader=False, use_threading=True)
