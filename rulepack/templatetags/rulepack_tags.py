"""Naming a rule's source document on a page that holds only its tag (a finding, a catalogue function)."""

from django import template

from rulepack.selectors import default_sources, source_short

register = template.Library()


@register.filter
def source_name(tag: str) -> str:
    """湖里区 for ``Huli``: the document's short name (a tag of a city's own document shows as written)."""
    return source_short(tag)


@register.filter
def source_title(tag: str) -> str:
    """The document's full title, for a tooltip beside its short name."""
    return default_sources().get(tag, {}).get("title", tag)
