"""Background work of the register: star ratings after a bulk change."""

from django_tasks import task

from .models import Site
from .services import star_rating_recompute


@task()
def ratings_refresh(site_ids: list[int]) -> int:
    rated = 0
    for site in Site.objects.filter(pk__in=site_ids).select_related("division"):
        rated += star_rating_recompute(site=site) is not None
    return rated
