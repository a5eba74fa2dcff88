import os

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serves Minga at http://127.0.0.1:PORT (PORT from --port or the environment, 8000)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: object, host: str, port: int, **options: object) -> None:
        if not 0 < port < 65536:
            self.stderr.write(f"--port: {port} is not a TCP port (1-65535)")
            raise SystemExit(2)
        call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)
