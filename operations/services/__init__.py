"""Writing space for service: admission, agreements, monthly reports, public funding, partnership offers.

One function per step, each atomic and audited; a step that the current state does not allow is
refused with a Conflict and nothing is written. The numbers come from the city's rule pack:
the admission checklist and validity, the longest term, the low-cost price cap, the report
deadline. What the rules for each property class say about an agreement or a report is judged
in ``operations.compliance`` after every change (``findings_refresh``).

The hours an agreement gives over become bookings of the rooms through
``scheduling.services.weekly_hold`` when the street approves it, so a room is never given twice;
a confirmed report's share goes into the community's fund through
``funds.services.operator_share_post`` (held for the community until it founds one).

One file per entity; every name is imported here, so ``from operations import services`` serves as before.
"""

from .admissions import (
    _admission_change,
    _admission_status,
    _locked_admission,
    admission_apply,
    admission_blacklist,
    admission_reinstate,
    admission_review,
    admission_suspend,
    admission_withdraw,
)
from .agreements import (
    AGREEMENT_TERMS,
    DATE_TERMS,
    MONEY_TERMS,
    _admission_for,
    _agreement_status,
    _apply_terms,
    _check_term,
    _checked_services,
    _checked_shares,
    _checked_spaces,
    _locked_agreement,
    _parts,
    _spaces_already_given,
    _weekly_overlap,
    _write_parts,
    agreement_approve,
    agreement_draft,
    agreement_origin,
    agreement_renew,
    agreement_return,
    agreement_revise,
    agreement_submit,
    agreement_terminate,
    agreement_withdraw,
    low_cost_cap,
)
from .base import (
    LICENCES,
    _categories,
    _money,
    _notify_operator,
    checklist_items,
    qualification_add,
)
from .fundings import (
    _locked_funding,
    funding_close,
    funding_create,
    funding_pay,
    milestone_decide,
)
from .offers import (
    interest_submit,
    interest_withdraw,
    offer_award,
    offer_publish,
    offer_withdraw,
    room_usage,
)
from .reports import (
    REPORT_FIGURES,
    _locked_report,
    _report_figures,
    first_of_month,
    fund_share_due,
    report_confirm,
    report_return,
    report_submit,
)
