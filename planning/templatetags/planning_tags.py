"""Small template filters of the planning pages."""

from django import template

register = template.Library()


@register.filter
def points_minus(b, a) -> str:
    """The difference of two shares in percentage points, signed ("+12.5", "−3.0")."""
    if a is None or b is None:
        return ""
    diff = (float(b) - float(a)) * 100
    return f"{'+' if diff > 0 else '−' if diff < 0 else '±'}{abs(diff):.1f}"


@register.filter
def percent(value) -> str:
    return "" if value is None else f"{float(value) * 100:.1f}%"
