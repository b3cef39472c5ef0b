"""Writing the schedule: bookings, series, approvals, check-in, no-shows, waitlists, rotations.

Every booking goes in through ``_hold_room``: inside the caller's transaction it inserts only if
no booking overlaps (one statement for a new booking), and otherwise says what is in the way,
naming a booking only to those who may see it. SQLite runs writing transactions one at a time
(IMMEDIATE), so check-then-insert cannot race there; on PostgreSQL an exclusion constraint on
(room, time range) refuses the second of two requests that passed the check together, and that
refusal becomes the same Conflict. No room is ever double-booked, whatever the concurrency.

Times are passed as aware datetimes; ``now`` can be passed for tests and for the demo city.

One file per entity; every name is imported here, so ``from scheduling import services`` serves as before.
"""

from .attendance import (
    EVENT_HOLDERS,
    _held_by_an_event,
    booking_check_in,
    booking_decide,
    booking_record_check_in,
    event_check_ins,
    holds_expire,
    no_shows_release,
)
from .bookings import (
    _check_may_book,
    _end_hold,
    _hold_room,
    _in_the_way,
    _insert_if_free,
    _lapsed,
    _may_manage,
    _occurrences,
    _taken,
    booking_cancel,
    booking_create,
    booking_move,
    booking_organisation,
)
from .open_resources import (
    may_decide,
    open_hours_problem,
    open_resource_book,
    open_resource_register,
    open_resource_update,
    open_resource_withdraw,
    unit_staff_of,
    units_of,
)
from .rooms import (
    POLICY_FIELDS,
    closure_create,
    policy_update,
)
from .rules import (
    CHECK_IN_EARLY,
    _any_hours,
    _blocked_until,
    _closed_then,
    bookable_intervals,
    booker_kinds,
    booker_kinds_at,
    closures_between,
    default_bookers,
    overlapping,
    policy_for,
    rule_problems,
    slot_problems,
    weekly_hours,
)
from .series import (
    SeriesPlan,
    _expand,
    series_create,
)
from .waitlist import (
    offer_accept,
    waitlist_join,
    waitlist_offer,
)
from .weekly import (
    rotation_create,
    rotation_slots,
    weekly_clashes,
    weekly_hold,
    weekly_occurrences,
    weekly_release,
)
