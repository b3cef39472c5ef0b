from django import template

from audit.actions import action_label as label_of
from audit.changes import actor_text, note_text, record_text

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    """The readable name of an audit action (``org.division.updated`` → 区划信息变更)."""
    return label_of(action)


@register.filter
def actor_label(event) -> str:
    """Who did it: a person's name, or the part of the platform that acted (定时任务, 演示数据)."""
    return actor_text(event)


@register.filter
def verbose_name(model) -> str:
    """A model's name as people say it (``registry.Site`` → 场所)."""
    return str(model._meta.verbose_name) if model is not None else ""


@register.filter
def record_label(event) -> str:
    """The record an event is about, without internal codes in its stored name."""
    return record_text(event)


@register.filter
def note_label(event) -> str:
    return note_text(event)
