"""Writing workbooks and reading cells: drop-downs of allowed values, their other spellings, the guide."""

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from openpyxl import load_workbook

from excel.registers import (
    Column,
    Register,
    RowProblem,
    parse_bool,
    parse_choice,
    parse_date,
    parse_text,
    same_value,
)
from excel.workbooks import write_template


class Colour(models.TextChoices):
    RED = "red", "红色"
    BLUE = "blue", "蓝色"


def test_a_choice_is_read_by_its_label_its_value_or_any_of_its_other_spellings():
    parse = parse_choice(Colour, {Colour.RED: ("大红", "朱红（中国红）")})
    assert parse("红色") == parse("red") == parse(" 大 红 ") == parse("朱红(中国红)") == "red"
    assert parse("蓝色") == "blue" and parse(None) == ""
    with pytest.raises(RowProblem) as problem:
        parse("绿色")
    assert str(problem.value.message) == "“绿色”不在可选范围内，可填：红色、蓝色"


def test_a_spelling_that_would_name_two_choices_is_refused_when_the_register_is_described():
    with pytest.raises(ImproperlyConfigured):
        parse_choice(Colour, {Colour.RED: ("蓝色",)})("红色")
    with pytest.raises(ImproperlyConfigured):
        parse_choice(Colour, {"green": ("绿",)})


def test_values_are_compared_not_their_text():
    from decimal import Decimal

    assert same_value(Decimal("611.00"), Decimal("611")) and same_value(Decimal("611.00"), 611)
    assert same_value(None, "") and same_value("", None)
    assert same_value({}, {"1": [], "2": []}) and not same_value({"1": [["08:00", "12:00"]]}, {})
    assert not same_value(Decimal("611.01"), Decimal("611")) and not same_value("某物业", "")


def test_dates_and_yes_no_are_read_as_clerks_write_them():
    import datetime

    assert parse_date("2026年5月1日") == parse_date("2026/5/1") == parse_date("2026.05.01") == datetime.date(2026, 5, 1)
    with pytest.raises(RowProblem):
        parse_date("去年春天")
    assert parse_bool("是") is True and parse_bool("无") is False and parse_bool("yes") is True
    with pytest.raises(RowProblem):
        parse_bool("也许")


@pytest.mark.django_db
def test_a_long_list_lives_on_a_hidden_sheet_that_the_drop_down_refers_to():
    places = [(f"第{n}社区", ()) for n in range(1, 81)]
    reg = Register(name="test.places", title="场所", permission="registry.view_site", export_rows=None, import_rows=lambda **kw: {},
                   columns=[Column("place", "社区", parse_text, options=lambda user: places),
                            Column("colour", "颜色", parse_choice(Colour, {Colour.RED: ("大红",)}), note="颜色说明"),
                            Column("open", "开放", parse_bool)])
    buffer = io.BytesIO()
    write_template(buffer, reg, user=None)
    book = load_workbook(buffer)
    assert book.sheetnames == ["场所", "填写说明", "下拉选项"] and book["下拉选项"].sheet_state == "hidden"
    validations = {str(v.sqref)[0]: v for v in book["场所"].data_validations.dataValidation}
    assert validations["A"].formula1 == "'下拉选项'!$A$2:$A$81"
    assert [c.value for c in book["下拉选项"]["A"]] == ["社区", *(label for label, _a in places)]
    assert validations["B"].formula1 == '"红色,蓝色"' and validations["B"].prompt == "颜色说明"
    assert validations["B"].errorStyle == "warning"  # other spellings are read too
    assert validations["C"].formula1 == '"是,否"'
    guide = [[c.value for c in row] for row in book["填写说明"].iter_rows()]
    assert guide[1][:5] == ["场所", "社区", None, None, "共 80 项，见下方列表"]
    assert guide[2][4] == "红色、蓝色"
    assert ["场所", "颜色", "红色", "大红"] in [row[:4] for row in guide]
    assert ["场所", "社区", "第80社区", None] in [row[:4] for row in guide]
