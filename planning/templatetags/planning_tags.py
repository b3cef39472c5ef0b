"""Small template filters of the planning pages."""

from django import template

from planning import labels

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
    """A share as a percentage with one decimal ("62.5%"), the one way the pages show shares."""
    return "" if value is None else f"{float(value) * 100:.1f}%"


@register.filter
def share_of(part, whole) -> float | None:
    """``part / whole``, None when either is missing or the whole is nothing (for ``percent``)."""
    if part is None or not whole:
        return None
    return float(part) / float(whole)


@register.filter
def stage_label(code) -> str:
    return labels.stage_label(code)


@register.filter
def unit_label(code) -> str:
    return labels.unit_label(code)


@register.filter
def left_out_label(code) -> str:
    return labels.left_out_label(code)
