"""`linli tick`: run the jobs of every module that the clock is due for (``core.ticks``): expire
booking requests whose hold lapsed, release no-shows, keep last month's figures. Run it every
minute (cron or a systemd timer); `linli serve` runs it for you in development."""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from core.ticks import tick


class Command(BaseCommand):
    help = "Run the jobs the clock is due for; --every N to repeat every N seconds."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="Repeat every this many seconds (0: once)")

    def handle(self, *args, every, **options):
        while True:
            now = timezone.now()
            done = [f"{name}: {what}" for name, what in tick(now) if what]
            if done or not every:
                self.stdout.write(f"{timezone.localtime(now):%H:%M:%S} " + ("; ".join(done) or "nothing due"))
            if not every:
                return
            time.sleep(every)
