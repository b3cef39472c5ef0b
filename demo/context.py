"""What the steps of the demo-city build share: a seeded random source and what earlier steps made."""

import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any

DEMO_PASSWORD = "linli-demo-2026"
ACTOR = "demo-city"


def demo_user(username: str, display_name: str):
    """A person of the demo city who never signs in (committee members, clerks): made once, found after."""
    from accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, display_name=display_name)
        user.set_unusable_password()
        user.save()
    return user


@dataclass
class DemoContext:
    seed: int
    rng: random.Random
    verbose: bool = True
    started: float = field(default_factory=time.monotonic)
    city: Any = None
    districts: list = field(default_factory=list)
    streets: list = field(default_factory=list)
    communities: list = field(default_factory=list)
    organisations: dict[str, list] = field(default_factory=dict)
    # (username, role label, where) for the accounts table printed at the end.
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def say(self, message: str) -> None:
        if self.verbose:
            sys.stdout.write(f"[{time.monotonic() - self.started:5.1f}s] {message}\n")
            sys.stdout.flush()

    def progress(self, label: str, done: int, total: int) -> None:
        if self.verbose and (done == total or done % max(1, total // 10) == 0):
            self.say(f"{label}: {done}/{total}")
