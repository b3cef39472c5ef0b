"""`linli demo`: build the demo city (泉溪市) with accounts for every role."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from demo.accounts import demo_accounts
from demo.builders import build_demo_city, demo_city_exists
from demo.context import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Build the deterministic demo city with accounts for every role."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (the same seed builds the same city)")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the database already has divisions")
        parser.add_argument("--quiet", action="store_true", help="No progress output")
        parser.add_argument("--scale", choices=["city", "province"], default="city",
                            help="city: the demo city (泉溪市, about 400 communities); province: a city of 10,000 communities "
                                 "with 5,000,000 bookings, for the supervision benchmark (PostgreSQL only, beside what is there)")

    def handle(self, *args, seed, if_empty, quiet, scale, **options):
        translation.activate(settings.LANGUAGE_CODE)
        if scale == "province":
            self.build_province(seed=seed, quiet=quiet)
            return
        if demo_city_exists():
            if if_empty:
                self.stdout.write("The database already has a city; the demo city is not built again.")
                self.print_accounts()
                return
            raise CommandError("The database already has divisions. Use a new database (e.g. rm db.sqlite3) to rebuild the demo city.")
        ctx = build_demo_city(seed=seed, verbose=not quiet)
        self.print_accounts(ctx.accounts)

    def build_province(self, *, seed: int, quiet: bool):
        from demo.province import CITY_NAME, build_province

        try:
            counts = build_province(seed=seed, say=(lambda message: None) if quiet else self.stdout.write)
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        made = ", ".join(f"{name} {number:,}" for name, number in counts.items() if name != "seconds")
        self.stdout.write(self.style.SUCCESS(f"{CITY_NAME} built in {counts['seconds']} s: {made}"))
        self.stdout.write(f"  minzheng_sheng (the city's bureau), minzheng_sheng_qu (a district's), jiedao_sheng (a street's); "
                          f"password {DEMO_PASSWORD}")

    def print_accounts(self, accounts=None):
        if accounts is None:
            accounts = demo_accounts()
        if not accounts:
            return
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password for all: {DEMO_PASSWORD})"))
        for username, role, where in accounts:
            self.stdout.write(f"  {username:<14} {role:<24} {where}")
