"""Filters that write program values the way a person writes them on a Chinese page."""

from django import template

register = template.Library()

WEEKDAYS = ["", "周一", "周二", "周三", "周四", "周五", "周六", "周日"]


@register.filter
def weekday_name(value) -> str:
    """ISO weekday number (1 = Monday) → 周一…周日, as a notice board writes it."""
    try:
        return WEEKDAYS[int(value)]
    except (TypeError, ValueError, IndexError):
        return str(value)
