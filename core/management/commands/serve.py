"""`linli serve`: the development server with the task worker and the clock (`linli tick`) beside it.

Starts `db_worker` and `tick --every 60` in child processes (once, not again in the
autoreloader's child), then runs `runserver`; stopping the server stops them.
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
        helpers = []
        # A plain kill (SIGTERM) stops the helpers too, as Ctrl-C does.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        if os.environ.get("RUN_MAIN") != "true":
            helpers.append(subprocess.Popen([sys.executable, "-m", "django", "db_worker", "--interval", "0.5"]))
            helpers.append(subprocess.Popen([sys.executable, "-m", "django", "tick", "--every", "60"]))
            self.stdout.write(f"Task worker and clock started (pids {', '.join(str(h.pid) for h in helpers)}).")
        try:
            call_command("runserver", addrport, use_reloader=not noreload)
        finally:
            for helper in helpers:
                helper.terminate()
            for helper in helpers:
                try:
                    helper.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    helper.kill()
