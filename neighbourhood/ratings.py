"""The stars residents gave, counted for the star rating of their neighbourhood centres.

A centre's residents' satisfaction (the register's ``resident_ratings`` indicator [Quanzhou]) is
what the residents of the place it serves actually said: the stars of their service orders, of the
activities they took part in, and of how their feedback was handled. The register asks through
``registry.selectors.resident_ratings_source`` and needs not know this module.
"""

from datetime import datetime

from django.db.models import Count, Sum

from .models import ActivityRating, FeedbackRequest, OrderEvent, OrderStatus


def stars_given(path: str, since: datetime, until: datetime) -> tuple[int, int]:
    """The number of ratings given in ``[since, until)`` in the place at ``path`` and below, and their stars added up.

    Three aggregate queries (orders, activities, feedback), whatever the number of ratings."""
    count, total = 0, 0
    for found in (
        OrderEvent.objects.filter(to_status=OrderStatus.RATED, at__gte=since, at__lt=until, order__community__path__startswith=path,
                                  order__rating__isnull=False).aggregate(n=Count("id"), total=Sum("order__rating")),
        ActivityRating.objects.filter(rated_at__gte=since, rated_at__lt=until, activity__community__path__startswith=path).aggregate(
            n=Count("id"), total=Sum("stars")),
        FeedbackRequest.objects.filter(rated_at__gte=since, rated_at__lt=until, community__path__startswith=path,
                                       satisfaction__isnull=False).aggregate(n=Count("id"), total=Sum("satisfaction")),
    ):
        count += found["n"]
        total += found["total"] or 0
    return count, total
