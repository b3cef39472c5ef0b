"""`linli serve`: the development server with the task worker running beside it.

Starts `db_worker` in a child process (once, not again in the autoreloader's child), then
runs `runserver`; stopping the server stops the worker.
"""

import os
import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve on 127.0.0.1:8000 and run the background task worker alongside."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--noreload", action="store_true")

    def handle(self, *args, addrport, noreload, **options):
        worker = None
        # A plain kill (SIGTERM) stops the worker too, as Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        if os.environ.get("RUN_MAIN") != "true":
            worker = subprocess.Popen([sys.executable, "-m", "django", "db_worker", "--interval", "0.5"])
            self.stdout.write(f"Task worker started (pid {worker.pid}).")
        try:
            call_command("runserver", addrport, use_reloader=not noreload)
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
