"""Month grids for the dose history calendar (the standard library's calendar)."""

from __future__ import annotations

import calendar
import datetime

_WEEKS = calendar.Calendar(firstweekday=calendar.SUNDAY)


def parse_month(raw: str | None, *, default: datetime.date) -> datetime.date:
    """ "2026-11" -> 1 November 2026; anything unreadable -> the default's month."""
    try:
        month = datetime.datetime.strptime(raw or "", "%Y-%m").date()  # noqa: DTZ007 - a date
    except ValueError:
        return default.replace(day=1)
    # The grid's whole weeks and the previous/next links reach into the neighbouring
    # years, which do not exist before year 1 or after 9999.
    if not datetime.MINYEAR < month.year < datetime.MAXYEAR:
        return default.replace(day=1)
    return month


def month_grid(
    month: datetime.date,
) -> tuple[list[list[datetime.date]], datetime.date, datetime.date]:
    """Whole weeks covering the month, with the first and last day shown."""
    weeks = _WEEKS.monthdatescalendar(month.year, month.month)
    return weeks, weeks[0][0], weeks[-1][-1]
