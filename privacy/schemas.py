"""API shapes of a person's own data."""

from datetime import datetime

from ninja import Field, Schema


class PersonalDataSectionOut(Schema):
    key: str = Field(..., description="Which records: privacy.account, neighbourhood.registrations, volunteers.hours…")
    title: str
    columns: list[str]
    rows: list[list[str]]


class PersonalDataOut(Schema):
    title: str
    person: str
    made_at: datetime
    sections: list[PersonalDataSectionOut]


class AccountCloseIn(Schema):
    password: str = Field(..., min_length=1, max_length=128, description="The account's password, typed again")
    understood: bool = Field(..., description="True: the account cannot be opened again")


class AccountClosedOut(Schema):
    closed_at: datetime
    kept: list[str] = Field(..., description="What stays after closing, and the law that keeps it")
