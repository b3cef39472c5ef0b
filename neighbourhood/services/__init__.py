"""Writing the smart neighbourhood: households, needs and their support, invitations, activities
with their sessions, registrations and check-ins, service orders, and feedback.

Each step is one function taking the actor; it checks what the step needs (the state it may
start from, who may take it, the city's rules), writes in one transaction with an audit event,
and refuses anything else with a domain error, writing nothing.

Registrations never overbook: the activity's row is locked (``select_for_update``) while its
places are counted and taken, so concurrent requests queue on it (SQLite runs writing
transactions one at a time anyway), and a check constraint on the activity
(``registered_places <= capacity``) stands behind the count in the database itself.

One file per entity; every name is imported here, so ``from neighbourhood import services`` serves as before.
"""

from .activities import (
    _check_price,
    _check_room,
    _next_session,
    _organiser_for,
    _promote,
    activity_cancel,
    activity_is_over,
    activity_publish,
    check_in,
    check_in_window,
    check_in_with_code,
    current_session,
    may_run,
    registration_cancel,
    registration_create,
    staff_check_in_open,
)
from .base import (
    RESIDENT_ROLES,
    STAFF_ROLES,
    _choice,
    _require_resident_of,
    _text,
    invalid,
    is_resident_of,
    may_record_needs,
    operator_of,
    operator_serves,
    operators_in_scope,
    order_operator_for,
    resident_community,
    rule_value,
    services_in_scope,
    staff_reaches,
    worker_grids,
)
from .feedback import (
    FEEDBACK_MOVES,
    _coordinate,
    feedback_categories,
    feedback_category,
    feedback_choose_public,
    feedback_photo,
    feedback_publish,
    feedback_rate,
    feedback_submit,
    feedback_update,
)
from .needs import (
    NEED_MOVES,
    _check_invitable,
    household_save,
    invitation_answer,
    invitation_send,
    need_mark,
    need_record,
    need_support,
    need_withdraw_support,
)
from .orders import (
    _centres_rated_again,
    _lock_order,
    _moving,
    _order_event,
    _stars,
    activity_rate,
    order_accept,
    order_cancel,
    order_decline,
    order_deliver,
    order_join,
    order_place,
    order_rate,
    order_schedule,
)
