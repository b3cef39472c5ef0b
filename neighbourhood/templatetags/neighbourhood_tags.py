"""Template helpers of the smart neighbourhood's pages."""

from django import template

from neighbourhood import services

register = template.Library()


@register.filter
def resident_home(user):
    """The community where ``user`` lives, or None: the residents' tab bar links pages that open only
    for a resident (``services.resident_community`` is what those pages ask too)."""
    return services.resident_community(user)
