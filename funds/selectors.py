"""Reading the funds: lists in scope, figures for many funds at once, the public disclosure, reach.

Figures for many funds (balance, income by kind and month) come from the ledger's kept
balances and monthly totals in two queries whatever the number of funds; the ledger's own
reconciliation checks those against the legs.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from accounts.models import RoleAssignment, User
from accounts.permissions import get_for_user, visible_to
from accounts.selectors import people_options
from core.pickers import LIMIT, Option
from ledger.models import MonthTotal
from org.models import Division, DivisionLevel
from org.selectors import division_paths

from .models import (
    ZERO,
    Disbursement,
    Fund,
    HeldShare,
    Income,
    IncomeKind,
    Project,
    ProjectStatus,
    Vote,
    VoteChoice,
)

INCOME_KINDS = set(IncomeKind.values)
CENT = Decimal("0.01")


def yuan(amount) -> Decimal:
    """A sum of money as yuan with two places: SQLite's sums come back with any number of places
    (1500000, 73104.8800000000), PostgreSQL's with the column's two."""
    return (amount or ZERO).quantize(CENT)


def may_found(user, division: Division, host) -> bool:
    """Whether ``user`` may found a fund for ``division`` at ``host``: a supervisor over the division,
    or staff of the host charity where it serves."""
    from accounts.permissions import ORGANISATION, SUBTREE, reaches
    from org.models import Organisation

    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    for reach in reaches(user, "funds.add_fund"):
        if reach.kind == SUBTREE and any(division.path.startswith(path) for path in reach.paths):
            return True
        if reach.kind == ORGANISATION and reach.organisation_id == host.pk and \
                Organisation.objects.serving(division).filter(pk=host.pk).exists():
            return True
    return False


def places_to_found(*, user) -> QuerySet[Division]:
    """Communities and districts without a fund where ``user`` may found one (``may_found`` decides again
    with the host): below a supervisor's division, or where their charity serves."""
    from accounts.permissions import ORGANISATION, SUBTREE, reaches
    from org.models import Organisation

    places = Division.objects.filter(level__in=[DivisionLevel.COMMUNITY, DivisionLevel.DISTRICT], fund__isnull=True)
    if getattr(user, "is_superuser", False) and user.is_active:
        return places
    where = Q(pk__in=[])
    for reach in reaches(user, "funds.add_fund"):
        if reach.kind == SUBTREE:
            paths = list(reach.paths)
        elif reach.kind == ORGANISATION:
            paths = list(Organisation.objects.filter(pk=reach.organisation_id).values_list("served_divisions__path", flat=True))
        else:
            paths = []
        for path in filter(None, paths):
            where |= Q(path__startswith=path)
    return places.filter(where)


def place_to_found_options(*, user, q: str = "", codes: list[str] | None = None, limit: int = LIMIT) -> list[Option]:
    """Places to found a fund, for a picker: by name, each with its path."""
    places = places_to_found(user=user)
    if q:
        places = places.filter(name__icontains=q)
    if codes is not None:
        places = places.filter(code__in=codes)
    found = list(places.order_by("depth", "path")[:limit])
    paths = division_paths(found)
    return [Option(d.code, paths[d.pk], str(d.get_level_display())) for d in found]


def committee_candidates(*, fund: Fund) -> QuerySet[User]:
    """Who may be seated on ``fund``'s committee: people holding a role in its community (residents, its
    workers, building heads), or the host charity's staff; not those already on it."""
    seated = fund.members.filter(left_on__isnull=True).values("user_id")
    return User.objects.filter(is_active=True, pk__in=_roles_here(fund).values("user_id")).exclude(pk__in=seated)


def _roles_here(fund: Fund) -> QuerySet[RoleAssignment]:
    """The roles held in the fund's community (and below it) and at its host charity."""
    return RoleAssignment.objects.active().filter(Q(division__path__startswith=fund.division.path) | Q(organisation=fund.host_id))


def committee_candidate_options(*, fund: Fund, q: str = "", ids: list[int] | None = None, limit: int = LIMIT) -> list[Option]:
    """Committee candidates for a picker: by name or mobile number, with their roles here."""
    return people_options(committee_candidates(fund=fund), roles=_roles_here(fund), q=q, ids=ids, limit=limit)


def fund_list(*, user, within: Division | None = None, q: str | None = None) -> QuerySet[Fund]:
    funds = visible_to(user, "funds.view_fund", Fund.objects.select_related("division", "host", "account"))
    if within is not None:
        funds = funds.filter(division__path__under=within.path)
    if q:
        funds = funds.filter(Q(name__icontains=q) | Q(division__name__icontains=q))
    return funds.order_by("division__code")


def fund_get(*, user, code: str) -> Fund:
    return get_for_user(user, "funds.view_fund", Fund.objects.select_related("division", "host", "account"), division__code=code)


def public_fund_get(*, code: str) -> Fund:
    """Any fund, for the public disclosure (公示) that needs no sign-in."""
    from core.errors import NotFound

    fund = Fund.objects.select_related("division", "host", "account").filter(division__code=code).first()
    if fund is None:
        raise NotFound()
    return fund


def held_shares(*, division: Division) -> QuerySet[HeldShare]:
    """Operators' shares held for ``division`` until its fund is founded (for the pages that found it)."""
    return HeldShare.objects.filter(division=division, income__isnull=True).select_related("operator").order_by("received_on", "pk")


def project_list(*, user, fund: Fund | None = None, status: str | None = None) -> QuerySet[Project]:
    projects = visible_to(user, "funds.view_project", Project.objects.select_related("fund__division", "fund__host", "proposer"))
    if fund is not None:
        projects = projects.filter(fund=fund)
    if status:
        projects = projects.filter(status=status)
    return projects


def project_get(*, user, pk: int) -> Project:
    return get_for_user(user, "funds.view_project", Project.objects.select_related(
        "fund__division", "fund__host", "fund__account", "proposer", "charity_decided_by"), pk=pk)


def income_list(*, user, fund: Fund) -> QuerySet[Income]:
    return visible_to(user, "funds.view_fund", Income.objects.filter(fund=fund)).select_related("matches", "recorded_by")


def awaiting_my_vote(*, user) -> QuerySet[Project]:
    """Projects under review on committees ``user`` sits on, that they have not voted on yet."""
    return (Project.objects.filter(status=ProjectStatus.REVIEW, fund__members__user=user, fund__members__left_on__isnull=True)
            .exclude(votes__member__user=user).select_related("fund__division").distinct().order_by("proposed_at"))


@dataclass
class FundFigures:
    balance: Decimal = ZERO
    income: Decimal = ZERO
    spent: Decimal = ZERO
    by_kind: dict[str, Decimal] = field(default_factory=dict)
    by_month: dict[date, Decimal] = field(default_factory=dict)


def fund_figures(funds: "list[Fund] | QuerySet[Fund]", *, since: date | None = None, until: date | None = None,
                 months: bool = True) -> dict[int, FundFigures]:
    """Balance, income (total, by kind and, with ``months``, by month) and spending of each fund, by fund id.

    Money that came in is income by its kind; money out (disbursements, a district's matching of
    its communities) is spending. The sums are made by the database over the kept monthly
    totals: one query by kind (and one by month when asked), whatever the number of funds. Given
    a queryset (all the funds of a province, say) no Fund object is built: the balances come as
    plain rows and the totals are selected through a subquery."""
    if isinstance(funds, QuerySet):
        rows = funds.order_by().values_list("pk", "account_id", "account__balance").iterator(chunk_size=10000)
        accounts = funds.order_by().values("account_id")
    else:
        rows = [(fund.pk, fund.account_id, fund.account.balance) for fund in funds]
        accounts = [fund.account_id for fund in funds]
    figures, fund_of_account = {}, {}
    for fund_id, account_id, balance in rows:
        figures[fund_id] = FundFigures(balance=yuan(balance))
        fund_of_account[account_id] = fund_id
    totals = MonthTotal.objects.filter(account_id__in=accounts).order_by()
    if since is not None:
        totals = totals.filter(month__gte=since.replace(day=1))
    if until is not None:
        totals = totals.filter(month__lte=until)
    for account_id, kind, amount in totals.values_list("account_id", "kind").annotate(total=Sum("amount")).values_list(
            "account_id", "kind", "total").iterator(chunk_size=10000):
        figure, amount = figures[fund_of_account[account_id]], yuan(amount)
        if amount > 0 and kind in INCOME_KINDS:
            figure.income += amount
            figure.by_kind[kind] = amount
        elif amount < 0:
            figure.spent -= amount
    if months:
        for account_id, month, amount in totals.filter(kind__in=INCOME_KINDS, amount__gt=0).values_list(
                "account_id", "month").annotate(total=Sum("amount")).values_list("account_id", "month", "total"):
            figures[fund_of_account[account_id]].by_month[month] = yuan(amount)
    return figures


def vote_counts(projects: list[Project]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {choice: 0 for choice in VoteChoice.values})
    for project_id, choice, n in (Vote.objects.filter(project__in=projects).order_by().values_list("project_id", "choice")
                                  .annotate(n=Count("id"))):
        counts[project_id][choice] = n
    return counts


def disclosure(fund: Fund) -> dict:
    """What the public sees of a fund (公示): its money, income by kind and month, projects with votes,
    payments and reports, and donors as they chose to be named."""
    figures = fund_figures([fund])[fund.pk]
    projects = list(fund.projects.exclude(status=ProjectStatus.WITHDRAWN).prefetch_related(
        Prefetch("disbursements", queryset=Disbursement.objects.order_by("instalment"))).order_by("-proposed_at"))
    votes = vote_counts(projects)
    donors = list(fund.incomes.exclude(kind=IncomeKind.SEED_MATCHING).order_by("-received_on", "-id")[:50])
    matched = yuan(fund.incomes.filter(kind=IncomeKind.SEED_MATCHING).aggregate(total=Sum("amount"))["total"])
    return {
        "fund": fund, "figures": figures, "matched": matched,
        "by_kind": [(IncomeKind(kind).label, amount) for kind, amount in sorted(figures.by_kind.items(), key=lambda i: -i[1])],
        "by_month": sorted(figures.by_month.items()),
        "by_month_json": [(month.strftime("%Y-%m"), float(amount)) for month, amount in sorted(figures.by_month.items())[-12:]],
        "projects": [{"project": p, "votes": votes[p.pk], "disbursements": list(p.disbursements.all())} for p in projects],
        "donors": donors,
    }


def disclosure_json(fund: Fund) -> dict:
    """The public disclosure as JSON: the same figures as the page."""
    data = disclosure(fund)
    figures = data["figures"]
    return {
        "fund": {"code": fund.division.code, "name": fund.name, "community": fund.division.name, "host": fund.host.name,
                 "led_by": fund.led_by, "founded_on": fund.founded_on, "founding_document": fund.founding_document},
        "balance": figures.balance, "income": figures.income, "spent": figures.spent, "seed_matching": data["matched"],
        "income_by_kind": [{"kind": kind, "label": str(IncomeKind(kind).label), "amount": amount}
                           for kind, amount in sorted(figures.by_kind.items())],
        "income_by_month": [{"month": month.strftime("%Y-%m"), "amount": amount} for month, amount in data["by_month"]],
        "projects": [{
            "id": item["project"].pk, "title": item["project"].title, "kind": item["project"].kind,
            "status": item["project"].status, "budget": item["project"].budget, "disbursed": item["project"].disbursed,
            "beneficiaries": item["project"].beneficiaries, "votes": item["votes"], "report": item["project"].report,
            "disbursements": [{"instalment": d.instalment, "amount": d.amount, "payee": d.payee, "paid_on": d.paid_on}
                              for d in item["disbursements"]],
        } for item in data["projects"]],
        "donors": [{"name": income.public_donor, "kind": income.kind, "amount": income.amount, "received_on": income.received_on,
                    "purpose": income.purpose} for income in data["donors"]],
    }


@dataclass
class Reach:
    division: Division
    communities: int = 0
    funds: int = 0
    balance: Decimal = ZERO
    income: Decimal = ZERO

    @property
    def share(self) -> float:
        return self.funds / self.communities if self.communities else 0.0


def reach(*, user, within: Division, year: int | None = None) -> tuple[Reach, list[Reach]]:
    """Share of communities with a fund and the money in them, for ``within`` and each division one level down.

    Counts every community below (the supervisor's view is of the whole area, not only of the
    funds the user may open)."""
    child_level = {DivisionLevel.CITY: DivisionLevel.DISTRICT, DivisionLevel.DISTRICT: DivisionLevel.STREET}.get(
        within.level, DivisionLevel.COMMUNITY)
    children = list(Division.objects.filter(parent=within, level=child_level).order_by("code")) if within.level != DivisionLevel.COMMUNITY else []
    rows = {child.pk: Reach(division=child) for child in children}
    total = Reach(division=within)
    communities = Division.objects.filter(level=DivisionLevel.COMMUNITY, path__under=within.path).values_list("path", flat=True)
    child_by_path = {child.path: child.pk for child in children}

    def child_of(path: str):
        depth = within.path.count("/") + 1
        return child_by_path.get("/".join(path.split("/")[:depth]) + "/")

    for path in communities:
        total.communities += 1
        if (key := child_of(path)) in rows:
            rows[key].communities += 1
    funds = Fund.objects.filter(division__path__under=within.path, division__level=DivisionLevel.COMMUNITY)
    since = date(year, 1, 1) if year else None
    until = date(year, 12, 31) if year else None
    figures = fund_figures(funds, since=since, until=until, months=False)
    for fund_id, path in funds.values_list("pk", "division__path"):
        figure = figures[fund_id]
        for row in (total, rows.get(child_of(path))):
            if row is not None:
                row.funds += 1
                row.balance += figure.balance
                row.income += figure.income
    return total, list(rows.values())
