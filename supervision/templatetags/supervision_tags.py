"""A figure of supervision as a person writes it: a share as a per cent with one decimal, money in
yuan with two, counts whole (an average per community with one decimal); a dash for no figure."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

from rulepack.display import format_number

register = template.Library()

PLACES = {"share": Decimal("0.001"), "yuan": Decimal("0.01"), "count": Decimal(1), "times": Decimal(1), "rooms": Decimal(1)}


def figure_text(value, unit: str) -> str:
    if value is None:
        return "—"
    places = PLACES.get(unit, Decimal("0.01"))
    if places == 1 and Decimal(value) != Decimal(value).to_integral_value():
        places = Decimal("0.1")  # an average per community: 0.3 agreements, not 0
    number = Decimal(value).quantize(places, rounding=ROUND_HALF_UP)
    return format_number(number, unit)


@register.filter
def figure(value, unit: str = "") -> str:
    return figure_text(value, unit)
