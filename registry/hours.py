"""Opening hours: a week of time ranges, written the way a notice board writes them.

Stored as ``{"1": [["08:30", "17:30"]], …, "7": []}`` (1 = Monday). Read from and written as
text such as ``周一至周五 08:30-17:30；周六、周日 09:00-12:00`` (English day names work too), so
the same form serves the pages and the Excel register.
"""

import re

from django.utils.translation import gettext_lazy as _

from core.errors import ValidationFailed

DAY_NAMES = {
    "周一": 1, "周二": 2, "周三": 3, "周四": 4, "周五": 5, "周六": 6, "周日": 7, "周天": 7,
    "星期一": 1, "星期二": 2, "星期三": 3, "星期四": 4, "星期五": 5, "星期六": 6, "星期日": 7, "星期天": 7,
    "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7,
}
EVERY_DAY = {"每天", "每日", "daily", "every day"}
CHINESE_DAYS = ["", "周一", "周二", "周三", "周四", "周五", "周六", "周日"]
TIME_RANGE = re.compile(r"(\d{1,2}):(\d{2})\s*[-–—~至到]\s*(\d{1,2}):(\d{2})")
DAY_TOKEN = "|".join(sorted(map(re.escape, DAY_NAMES), key=len, reverse=True))
DAY_RANGE = re.compile(rf"({DAY_TOKEN})\s*(?:至|到|-|–|~)\s*({DAY_TOKEN})", re.IGNORECASE)
DAY_SINGLE = re.compile(rf"({DAY_TOKEN})", re.IGNORECASE)


def empty_week() -> dict[str, list]:
    return {str(day): [] for day in range(1, 8)}


def _minutes(text: str) -> int:
    hours, minutes = map(int, text.split(":"))
    return hours * 60 + minutes


def parse_hours(text: str) -> dict[str, list]:
    """``周一至周五 08:30-17:30；周六 09:00-12:00`` → the stored form; refuses what it cannot read."""
    week = empty_week()
    text = (text or "").strip()
    if not text:
        return week
    for part in re.split(r"[;；\n]+", text):
        part = part.strip()
        if not part:
            continue
        ranges = [(f"{int(a):02d}:{b}", f"{int(c):02d}:{d}") for a, b, c, d in TIME_RANGE.findall(part)]
        if not ranges:
            raise ValidationFailed(fields={"opening_hours": [_("No time range such as 08:30-17:30 in: %(part)s") % {"part": part}]})
        for start, end in ranges:
            if not (0 <= _minutes(start) < _minutes(end) <= 24 * 60) or int(start[3:]) > 59 or int(end[3:]) > 59:
                raise ValidationFailed(fields={"opening_hours": [_("%(start)s-%(end)s is not a time range within a day.") % {"start": start, "end": end}]})
        days_text = TIME_RANGE.sub("", part).strip().lower()
        days: set[int] = set()
        if any(word in days_text for word in EVERY_DAY) or not days_text:
            days = set(range(1, 8))
        for first, last in DAY_RANGE.findall(days_text):
            a, b = DAY_NAMES[first.lower()], DAY_NAMES[last.lower()]
            days.update(range(a, b + 1) if a <= b else [*range(a, 8), *range(1, b + 1)])
        for name in DAY_SINGLE.findall(DAY_RANGE.sub("", days_text)):
            days.add(DAY_NAMES[name.lower()])
        if not days:
            raise ValidationFailed(fields={"opening_hours": [_("No days such as 周一至周五 in: %(part)s") % {"part": part}]})
        for day in days:
            week[str(day)] = sorted(week[str(day)] + [list(r) for r in ranges])
    return week


def format_hours(week: dict | None) -> str:
    """The stored form as notice-board text, runs of equal days joined (周一至周五 08:30-17:30)."""
    if not week:
        return ""
    parts, day = [], 1
    while day <= 7:
        ranges = week.get(str(day), [])
        last = day
        while last < 7 and week.get(str(last + 1), []) == ranges:
            last += 1
        if ranges:
            days = CHINESE_DAYS[day] if day == last else f"{CHINESE_DAYS[day]}至{CHINESE_DAYS[last]}"
            parts.append(f"{days} " + "、".join(f"{a}-{b}" for a, b in ranges))
        day = last + 1
    return "；".join(parts)


def weekly_hours(week: dict | None) -> float:
    if not week:
        return 0.0
    return sum(_minutes(b) - _minutes(a) for ranges in week.values() for a, b in ranges) / 60


def week_slots(week: dict) -> list[dict]:
    """The stored form as weekly slots (``[{"weekday": 1, "start": "09:00", "end": "12:00"}, …]``)."""
    return [{"weekday": int(day), "start": start, "end": end}
            for day in sorted(week, key=int) for start, end in week[day]]


def slots_week(slots: list[dict]) -> dict[str, list]:
    """Weekly slots back in the stored form, so ``format_hours`` can write them as notice-board text."""
    week = empty_week()
    for slot in slots:
        week[str(slot["weekday"])] = sorted(week[str(slot["weekday"])] + [[slot["start"], slot["end"]]])
    return week
