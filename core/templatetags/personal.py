"""Residents' personal data on pages, by the one rule of ``core.privacy``.

    {% load personal %}
    {% personal r.user.label "name" division=activity.community organisation=activity.organiser_id owner=r.user_id %}
    {{ item.contact_phone|masked:"phone" }}

``personal`` shows the value whole or masked for the person reading the page; ``masked`` always masks.
"""

from django import template

from core.privacy import MASKS, mask_username, viewer_of

register = template.Library()


@register.simple_tag(takes_context=True)
def personal(context, value, kind: str, division=None, organisation=None, owner=None) -> str:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return viewer_of(user).show(value, kind, division=division, organisation=organisation, owner=owner)


@register.filter
def masked(value, kind: str) -> str:
    return MASKS[kind]("" if value is None else str(value))


@register.filter
def redacted(value) -> str:
    """Free text with the mobile and ID card numbers in it masked."""
    from core.privacy import redact_text

    return redact_text("" if value is None else str(value))


@register.filter
def masked_username(value) -> str:
    """A username that is a mobile number (residents sign up with theirs), masked as one."""
    return mask_username(value)
