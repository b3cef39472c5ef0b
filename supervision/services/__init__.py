"""Supervision's writes: the monthly figures, the notices drafted from them, the rectification
items units put right, the plans of communities that miss a standard and the yearly assessment;
the drafts and the scores are computed in background tasks (``jobs``, ``supervision.tasks``).

One file per entity; every name is imported here, so ``from supervision import services`` serves.
"""

from .assessments import (
    ASSESSED_LEVELS,
    assessment_recompute,
    assessment_score_run,
    assessment_sign,
    assessment_start,
    manual_item_add,
    points_for,
    year_figures,
)
from .inspections import (
    Inspector,
    campaign_draw,
    campaign_redraw,
    checklist,
    default_pool,
    draw,
    inspection_submit,
    inspectors_of,
    own_unit,
)
from .notices import (
    NOTICE_LEVELS,
    notice_draft,
    notice_draft_again,
    notice_draft_run,
    notice_publish,
    notice_respond,
    notice_update,
)
from .plans import milestone_done, plan_close, plan_create, rule_result
from .rectifications import rectification_answer, rectification_open, rectification_verify
from .snapshots import close_after_days, closes_on, roll_up, snapshot_take, snapshots_due
