"""Measures: the figures supervision reads, each declared once by the module that owns it.

A module declares what it can count with ``measure(...)`` (from its ``AppConfig.ready()``), the
way it adds a menu entry: a code (``scheduling.utilisation``), what a person calls it, its unit,
and a function that computes it for every community (or street) of a city over a month, in a few
grouped queries, from the module's own selectors — the same ones its pages read, so a figure on
the bureau's dashboard is the figure on the module's page.

A measure is a sum (rooms, yuan, person-times) or a rate (a numerator over a denominator:
booked hours over bookable hours, communities that meet a standard over communities). Either
way it is computed at its lowest level and added up the tree: a street's rate is the sum of its
communities' numerators over the sum of their denominators, never an average of rates. Which
measures are indicators, with what target, by when and with what weight, is the rule pack's
business (``supervision.rules``), not the module's.
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

RATE, SUM = "rate", "sum"


@dataclass(frozen=True)
class Month:
    """A calendar month: ``since`` its first day, ``until`` the first day of the next."""

    since: date

    @property
    def until(self) -> date:
        return date(self.since.year + self.since.month // 12, self.since.month % 12 + 1, 1)

    @property
    def last(self) -> date:
        from datetime import timedelta

        return self.until - timedelta(days=1)

    def previous(self) -> "Month":
        return Month(date(self.since.year - (self.since.month == 1), (self.since.month - 2) % 12 + 1, 1))

    def next(self) -> "Month":
        return Month(self.until)

    @classmethod
    def of(cls, day: date) -> "Month":
        return cls(date(day.year, day.month, 1))

    @classmethod
    def parse(cls, text: str) -> "Month | None":
        """``2026-11`` as a month; None for anything else."""
        try:
            year, month = (int(part) for part in text.split("-"))
            return cls(date(year, month, 1))
        except (TypeError, ValueError):
            return None

    def __str__(self) -> str:
        return f"{self.since:%Y-%m}"

    def words(self) -> str:
        """The month as the page's language writes it: 2026年11月, November 2026."""
        from django.utils.formats import date_format

        return date_format(self.since, "YEAR_MONTH_FORMAT")


# What ``compute`` returns: for each division of the measure's level (its id), the numerator and
# the denominator (None for a sum).
Figures = dict[int, tuple[Decimal, Decimal | None]]


@dataclass(frozen=True)
class Measure:
    code: str
    module: str
    label: Any
    unit: str  # a key of rulepack.display.UNITS: "share", "count", "yuan", "hours", "score", "days"
    kind: str  # RATE or SUM
    compute: Callable[[Any, Month], Figures]  # (city, month) -> figures
    level: str = "community"  # the level it is counted at: "community" or "street"
    help: Any = ""
    # Where the records behind the figure of a division are: (division, month) -> URL, or None.
    records: Callable[[Any, Month], str | None] | None = None
    # A figure of the month (a flow: money raised, person-times) or of the register as the month
    # ends (a stock: communities meeting a standard). Both are taken when the month is snapshotted.
    flow: bool = False


MEASURES: dict[str, Measure] = {}


def measure(code: str, *, label, unit: str, kind: str, compute: Callable, level: str = "community", help="",
            records: Callable | None = None, flow: bool = False) -> Measure:
    """Declare a measure; its module is the start of its code."""
    if kind not in (RATE, SUM):
        raise ValueError(kind)
    declared = Measure(code=code, module=code.split(".")[0], label=label, unit=unit, kind=kind, compute=compute,
                       level=level, help=help, records=records, flow=flow)
    MEASURES[code] = declared
    return declared


def measure_choices() -> list[tuple[str, Any]]:
    """Every declared measure as (code, label): the list an indicator's rule chooses from."""
    return sorted(((m.code, m.label) for m in MEASURES.values()), key=lambda pair: pair[0])


def value_of(kind: str, numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    """A rate's value is its numerator over its denominator (None when nothing was counted); a sum's is its numerator."""
    if numerator is None:
        return None
    if kind == SUM:
        return numerator
    return numerator / denominator if denominator else None


_TAKING: ContextVar[dict | None] = ContextVar("measures_taking", default=None)


@contextmanager
def taking() -> Iterator[None]:
    """While a month's figures are taken: what several measures of a module read (``shared``) is read once."""
    token = _TAKING.set({})
    try:
        yield
    finally:
        _TAKING.reset(token)


def shared(fn: Callable) -> Callable:
    """Rows several measures read (idle rooms and utilisation both read every room's usage), read once
    while figures are taken (``taking``) and afresh at any other time. The arguments must be hashable."""
    @functools.wraps(fn)
    def once(*args):
        memo = _TAKING.get()
        if memo is None:
            return fn(*args)
        key = (fn.__module__, fn.__qualname__, *args)
        if key not in memo:
            memo[key] = fn(*args)
        return memo[key]
    return once
