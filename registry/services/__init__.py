"""Writing the register: sites, rooms, costs, photos, star ratings, filings, new projects, signs and
plaques, and suggestions to merge or swap rooms.

The caller has checked the actor's permission; these functions keep the register's invariants, write
in one transaction and leave an audit event. One file per entity; every name is imported here, so
``from registry import services`` serves as before.
"""

from .filings import (
    registry_file,
    registry_snapshot,
)
from .provision import (
    _counterparty,
    community_meets_area_standard,
    earmarked_rent_record,
    party_of,
    provision_delivery_file,
    provision_payment_record,
    provision_project_create,
    provision_required_area,
    provision_sign_off,
    street_earmarked_account,
)
from .ratings import (
    _after_change,
    _evidence,
    _indicator,
    _residents_satisfaction,
    online_gate,
    online_services_switch,
    ratings_refresh_for_place,
    ratings_refresh_later,
    star_evidence_record,
    star_rating_recompute,
    surveyed_criteria,
)
from .signs import (
    SIGN_FIELDS,
    _check_sign,
    _open_cleanup_over,
    allowed_sign_names,
    sign_allowed,
    sign_cleanup_close,
    sign_cleanup_start,
    sign_record,
    sign_remove,
    sign_update,
    signs_reclassify,
)
from .sites import (
    ROOM_FIELDS,
    SITE_FIELDS,
    _check_room,
    _functions_for,
    _next_site_code,
    _room_area,
    check_site,
    cost_record,
    photo_add,
    room_create,
    room_input,
    room_update,
    site_create,
    site_input,
    site_update,
)
from .suggestions import (
    _append,
    _create,
    _locked,
    _merges,
    _point,
    _quiet_keys,
    _rooms,
    _swaps,
    check_merge,
    distance_m,
    merge_key,
    room_figures,
    room_merge_propose,
    room_suggestion_accept,
    room_suggestion_dismiss,
    room_suggestions_due,
    room_suggestions_generate,
    street_of,
    unfit_reasons,
)
