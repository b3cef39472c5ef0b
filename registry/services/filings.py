"""Filing a street's register with the civil-affairs bureau [Haining]: a frozen snapshot."""

import hashlib
import json
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record, snapshot
from core.errors import ValidationFailed
from org.models import Division, DivisionLevel

from ..models import (
    Cost,
    RegistryFiling,
    Site,
)
from .sites import SITE_FIELDS

# Filing with the civil-affairs bureau [Haining].

def registry_snapshot(street: Division) -> dict:
    """The street's whole register as plain data: sites with their rooms, and this and last year's costs."""
    sites = (Site.objects.filter(division__path__under=street.path).select_related("division")
             .prefetch_related("rooms__functions").order_by("code"))
    year = timezone.localdate().year
    costs = Cost.objects.filter(site__division__path__under=street.path, year__gte=year - 1).select_related("site", "room")
    site_fields = sorted(SITE_FIELDS - {"note"})
    return {
        "street": {"code": street.code, "name": street.name},
        "sites": [
            {"code": s.code, "division": s.division.code, **snapshot(s, site_fields),
             "rooms": [{**snapshot(r, ["name", "floor", "area", "capacity", "use", "closed_on"]),
                        "functions": sorted(f.code for f in r.functions.all())} for r in s.rooms.all()]}
            for s in sites
        ],
        "costs": [{"site": c.site.code, "room": c.room.name if c.room else None, "year": c.year, "category": c.category,
                   "amount": str(c.amount), "paid_by": c.paid_by} for c in costs.order_by("site__code", "year", "category", "pk")],
    }


@transaction.atomic
def registry_file(*, actor, street: Division, note: str = "") -> RegistryFiling:
    if street.level != DivisionLevel.STREET:
        raise ValidationFailed(fields={"street": [_("A street files its register.")]})
    data = registry_snapshot(street)
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
    summary = {
        "sites": len(data["sites"]),
        "rooms": sum(len(s["rooms"]) for s in data["sites"]),
        "floor_area": str(sum(Decimal(s["floor_area"]) for s in data["sites"] if not s["closed_on"])),
        "costs": len(data["costs"]),
    }
    filing = RegistryFiling.objects.create(street=street, filed_by=actor, note=note, snapshot=data,
                                           sha256=hashlib.sha256(canonical.encode()).hexdigest(), summary=summary)
    audit_record(actor=actor, action="registry.filing.filed", target=filing, division=street, changes=summary)
    return filing


