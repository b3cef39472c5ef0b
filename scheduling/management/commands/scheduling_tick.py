"""`linli scheduling_tick`: expire requests whose hold lapsed and release no-shows (offering the
freed time to the waitlist). Run it every minute (cron or a systemd timer); `linli serve` runs it
for you in development."""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from scheduling.services import holds_expire, no_shows_release


class Command(BaseCommand):
    help = "Expire lapsed booking requests and release no-shows; --every N to repeat every N seconds."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="Repeat every this many seconds (0: once)")

    def handle(self, *args, every, **options):
        while True:
            now = timezone.now()
            expired, released = holds_expire(now=now), no_shows_release(now=now)
            if expired or released or not every:
                self.stdout.write(f"{timezone.localtime(now):%H:%M:%S} expired {expired}, released {released}")
            if not every:
                return
            time.sleep(every)
