"""Ledger test helpers: a community's fund hosted by its district charity, its street's earmarked
sub-account, and the outside world (a donor, a payee, the district budget) as external accounts."""

from dataclasses import dataclass
from decimal import Decimal

from ledger import services
from ledger.models import Account
from tests.concurrency import requires_postgresql  # noqa: F401  (the ledger's tests import it from here)
from tests.world import World

ACTOR = "ledger-test"



@dataclass
class Books:
    fund: Account  # 甲市一区一街一社's community development fund
    earmarked: Account  # 甲市一区一街's earmarked sub-account
    donor: Account  # external
    payee: Account  # external
    budget: Account  # the district budget, external

    def refresh(self) -> "Books":
        for account in (self.fund, self.earmarked, self.donor, self.payee, self.budget):
            account.refresh_from_db()
        return self


def open_books(world: World) -> Books:
    community = world.node("甲市一区一街一社")
    street = world.node("甲市一区一街")
    district = world.node("甲市一区")
    charity = world.organisations["甲市一区慈善会"]

    def open_(code, name, kind, division, organisation=None):
        return services.account_open(actor=ACTOR, code=code, name=name, kind=kind, division=division,
                                     organisation=organisation)

    return Books(
        fund=open_(f"fund:{community.code}", "一社社区发展基金", "fund", community, charity),
        earmarked=open_(f"street-earmarked:{street.code}", "一街用房建设子账户", "earmarked", street),
        donor=open_(f"donor:{community.code}", "捐赠人", "external", community),
        payee=open_(f"payee:{community.code}", "收款单位", "external", community),
        budget=open_(f"budget:{district.code}", "一区财政", "external", district),
    )


def donate(books: Books, amount, *, document: str = "收据-001"):
    return services.ledger_transfer(actor=ACTOR, kind="donation", source=books.donor, destination=books.fund,
                                    amount=Decimal(amount), source_document=document)


def disburse(books: Books, amount, *, document: str = "支出凭证-001"):
    return services.ledger_transfer(actor=ACTOR, kind="disbursement", source=books.fund, destination=books.payee,
                                    amount=Decimal(amount), source_document=document)
