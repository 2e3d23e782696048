"""A small world for the safety pages: side-effect reports, blood tests, reminders, summary.

Plain factory functions, plus three fixtures: ``frozen_now`` (time stands still at
NOW), ``alice_on_anakinra`` and ``bob_on_anakinra``. A test module imports the
``*_fixture`` functions (``# noqa: F401``), which pytest registers under the short
names; the different name keeps ruff from reading a test's argument as a redefinition.

NOW is 10:00 in New York on Wednesday 18 November 2026, after the US clocks went
back (New York is UTC-5).
"""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import time_machine
from django.http import HttpResponse

from monographs.models import DosingRegimen, LabRule, Medicine, SideEffect
from portal.models import User
from tracking.models import DoseLog, LabResult, SideEffectReport, SideEffectReportItem, Therapy

NOW = datetime.datetime(2026, 11, 18, 15, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 18)
DEFAULT_START = TODAY - datetime.timedelta(days=40)

Urgency = SideEffect.Urgency


# --- the world ---------------------------------------------------------------------------


@pytest.fixture(name="frozen_now")
def frozen_now_fixture() -> Iterator[time_machine.Traveller]:
    """Time stands still at NOW; a test moves it with frozen_now.move_to(...)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(name="alice_on_anakinra")
def alice_on_anakinra_fixture(
    alice: User, anakinra: Medicine, frozen_now: time_machine.Traveller
) -> Therapy:
    """Alice: anakinra 100 mg once a day for RA, started 40 days ago, in New York."""
    return new_therapy(alice, anakinra)


@pytest.fixture(name="bob_on_anakinra")
def bob_on_anakinra_fixture(
    bob: User, anakinra: Medicine, frozen_now: time_machine.Traveller
) -> Therapy:
    """Bob: the same medicine, started 100 days ago, so his dates differ from alice's."""
    return new_therapy(bob, anakinra, start_date=TODAY - datetime.timedelta(days=100))


def once_daily_regimen(medicine: Medicine) -> DosingRegimen:
    return fixed_regimen(medicine, DosingRegimen.Frequency.ONCE_DAILY)


def fixed_regimen(medicine: Medicine, frequency: str) -> DosingRegimen:
    """The medicine's fixed-dose regimen of this frequency (RA: once daily)."""
    return medicine.regimens.get(basis=DosingRegimen.Basis.FIXED, frequency=frequency)


def new_therapy(
    patient: User,
    medicine: Medicine,
    *,
    start_date: datetime.date = DEFAULT_START,
    time_zone: str = "America/New_York",
    usual_dose_time: datetime.time = datetime.time(8, 0),
    regimen: DosingRegimen | None = None,
) -> Therapy:
    """A valid, saved therapy; full_clean() first so a test never starts from a bad one."""
    therapy = Therapy(
        patient=patient,
        medicine=medicine,
        regimen=regimen or once_daily_regimen(medicine),
        prescribed_dose=Decimal("100"),
        start_date=start_date,
        time_zone=time_zone,
        usual_dose_time=usual_dose_time,
    )
    therapy.full_clean()
    therapy.save()
    return therapy


def anc_rule(medicine: Medicine) -> LabRule:
    return medicine.lab_rules.get(short_name="ANC")


def prompt_effects(medicine: Medicine, urgency: int) -> list[SideEffect]:
    """The side effects of one tier that the prompt asks about, in page order."""
    return list(SideEffect.objects.filter(medicine=medicine, urgency=urgency, ask_after_dose=True))


def new_dose(
    therapy: Therapy,
    day: datetime.date,
    *,
    hour: int = 8,
    status: str = DoseLog.Status.TAKEN,
    site_index: int = 0,
) -> DoseLog:
    """A dose row written directly (not through the service): setup, not the thing tested."""
    taken = status == DoseLog.Status.TAKEN
    sites = therapy.usable_sites()
    return DoseLog.objects.create(
        patient=therapy.patient,
        therapy=therapy,
        status=status,
        taken_at=datetime.datetime.combine(day, datetime.time(hour), therapy.zone),
        local_date=day,
        dose_mg=therapy.dose_mg if taken else None,
        site=sites[site_index % len(sites)] if taken else None,
        skip_reason="" if taken else "Unwell",
    )


def new_report(
    patient: User,
    *effects: SideEffect,
    other: str = "",
    none_reported: bool = False,
    dose: DoseLog | None = None,
    severity: str = "",
    needs_review: bool = False,
) -> SideEffectReport:
    """A report row written directly; urgency is the most urgent effect's tier."""
    report = SideEffectReport.objects.create(
        patient=patient,
        dose=dose,
        none_reported=none_reported,
        other=other,
        urgency=min((effect.urgency for effect in effects), default=None),
        needs_review=needs_review,
    )
    for effect in effects:
        SideEffectReportItem.objects.create(report=report, side_effect=effect, severity=severity)
    return report


def new_result(
    patient: User,
    rule: LabRule,
    *,
    month: int | None,
    value: int | str,
    taken_on: datetime.date,
    needs_review: bool = False,
) -> LabResult:
    """A result row written directly, in cells/µL."""
    return LabResult.objects.create(
        patient=patient,
        rule=rule,
        due_month=month,
        taken_on=taken_on,
        value=Decimal(value),
        entered_value=Decimal(value),
        entered_unit=LabResult.Unit.CELLS_PER_UL,
        needs_review=needs_review,
    )


# --- reading pages -----------------------------------------------------------------------


def words(markup: str | bytes) -> str:
    """The text a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    if isinstance(markup, bytes):
        markup = markup.decode()
    # Inline elements join their neighbours ("<strong>ANC</strong>: 5" reads "ANC: 5");
    # every other tag separates words.
    joined = re.sub(rf"</?(?:{_INLINE})\b[^>]*>", "", markup)
    without_tags = re.sub(r"<[^>]+>", " ", joined)
    return " ".join(html.unescape(without_tags).split())


_INLINE = "a|abbr|b|code|em|i|small|span|strong|time"


def medicine_names_in(text: str, medicine: Medicine) -> list[str]:
    """Which of the medicine's names the text mentions, apart from the portal's own name.

    The product is called Kineret Portal, after the brand: its name may appear where a
    medicine's name may not (emails, the calendar feed), so it is removed first.
    """
    # "Kineret Portal" in a signature, "@kineret-portal" in an event's id.
    text = re.sub(r"kineret[ -]portal", "", text, flags=re.IGNORECASE).lower()
    names = [medicine.generic_name, medicine.brand_name, medicine.display_name]
    return [name for name in names if name and name.lower() in text]


def page_words(response: HttpResponse) -> str:
    return words(response.content)


class _ElementText(HTMLParser):
    """The inner HTML of every element that has all the given attribute values."""

    VOID = frozenset({"br", "input", "img", "meta", "link", "hr", "source", "wbr"})

    def __init__(self, attrs: dict[str, str]) -> None:
        super().__init__(convert_charrefs=False)
        self.wanted = attrs
        self.found: list[str] = []
        self._depth = 0
        self._open: list[tuple[int, list[str]]] = []

    def _emit(self, raw: str) -> None:
        for _, parts in self._open:
            parts.append(raw)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._emit(self.get_starttag_text() or "")
        if tag in self.VOID:
            return
        self._depth += 1
        values = {name: value or "" for name, value in attrs}
        if all(values.get(name) == value for name, value in self.wanted.items()):
            self._open.append((self._depth, []))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._emit(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if self._open and self._open[-1][0] == self._depth:
            _, parts = self._open.pop()
            self.found.append("".join(parts))
        self._emit(f"</{tag}>")
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        self._emit(data)

    def handle_entityref(self, name: str) -> None:
        self._emit(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._emit(f"&#{name};")


def inner_html(markup: str | bytes | HttpResponse, **attrs: str) -> list[str]:
    """The inner HTML of each element whose attributes match (aria_labelledby=...)."""
    if isinstance(markup, HttpResponse):
        markup = markup.content
    if isinstance(markup, bytes):
        markup = markup.decode()
    parser = _ElementText(
        {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items()}
    )
    parser.feed(markup)
    parser.close()
    return parser.found


def section_words(response: HttpResponse, heading_id: str) -> str:
    """The visible text of the <section aria-labelledby=heading_id>."""
    [found] = inner_html(response, aria_labelledby=heading_id)
    return words(found)


def is_login_redirect(response: HttpResponse, path: str) -> bool:
    return response.status_code == 302 and response["Location"] == f"/accounts/login/?next={path}"
