"""POST /doses/quick/: the dashboard's one tap, with htmx (card swapped) and without."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from bs4 import Tag
from django.db.models import Sum
from django.test import Client

from monographs.models import InjectionSite
from portal.models import User
from tests.pages import (
    SECOND_DOSE,
    Markup,
    attr,
    over_max,
    select,
    strip_statuses,
    top_elements,
    words,
)
from tests.world import LogDose, MakeTherapy, new_york
from tracking.models import DoseLog, Therapy

URL = "/doses/quick/"
Area = InjectionSite.BodyArea
HTMX = {"HX-Request": "true"}


def _submission() -> dict[str, str]:
    return {"submission_id": str(uuid.uuid4())}


def _cards(response: Markup) -> tuple[Tag, Tag]:
    """The answer is the #today-card section, then the 14-day card out of band."""
    [card, recent] = top_elements(response)  # not a whole page
    assert (card.name, card.get("id")) == ("section", "today-card")
    assert (recent.name, recent.get("id")) == ("section", "recent-card")
    assert attr(recent, "hx-swap-oob") == "true"
    return card, recent


def _card(response: Markup) -> Tag:
    return _cards(response)[0]


def test_htmx_one_tap_brings_the_14_day_strip_up_to_date(
    alice_client: Client, alice_therapy: Therapy, sites: dict[str, InjectionSite]
) -> None:
    response = alice_client.post(URL, _submission(), headers=HTMX)

    _, recent = _cards(response)
    assert strip_statuses(recent)[-1] == (18, "taken")


def test_one_tap_logs_the_prescribed_dose_now_at_the_suggested_site(
    alice_client: Client, alice: User, alice_therapy: Therapy, sites: dict[str, InjectionSite]
) -> None:
    response = alice_client.post(URL, _submission())

    assert response.status_code == 302
    assert response["Location"] == "/"
    dose = DoseLog.objects.get()
    assert dose.patient == alice
    assert dose.status == DoseLog.Status.TAKEN
    assert dose.taken_at == datetime.datetime(2026, 11, 18, 15, 0, tzinfo=datetime.UTC)
    assert dose.local_date == datetime.date(2026, 11, 18)
    assert dose.dose_mg == Decimal("100")
    assert dose.site == sites[Area.LEFT_THIGH]
    assert dose.history.get().history_user == alice
    dashboard = words(alice_client.get("/"))
    assert "Dose logged: 100 mg at 10:00 AM, Front of left thigh." in dashboard
    assert "Taken at 10:00 AM: 100 mg, Front of left thigh" in dashboard


def test_one_tap_with_htmx_answers_with_the_updated_today_card(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    response = alice_client.post(URL, _submission(), headers=HTMX)

    assert response.status_code == 200
    card = _card(response)
    assert "Your dose is logged. Thank you." in words(card)
    assert "Taken at 10:00 AM: 100 mg, Front of left thigh" in words(card)
    assert "Next injection site: Front of right thigh" in words(card)
    assert select(card, '[action="/doses/quick/"]') == []  # today's once-daily dose is in
    assert "HX-Request" in response["Vary"]
    assert DoseLog.objects.count() == 1


def test_one_tap_rotates_to_the_next_site(
    alice_client: Client,
    alice_therapy: Therapy,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 16, 8), site=sites[Area.LEFT_THIGH])
    log_dose(alice_therapy, new_york(2026, 11, 17, 8), site=sites[Area.RIGHT_THIGH])

    alice_client.post(URL, _submission(), headers=HTMX)

    assert (
        DoseLog.objects.on_day(datetime.date(2026, 11, 18)).get().site == sites[Area.LEFT_ABDOMEN]
    )


def test_one_tap_uses_a_helper_site_only_when_someone_else_injects(
    alice_client: Client,
    alice: User,
    make_therapy: MakeTherapy,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
) -> None:
    therapy = make_therapy(alice, someone_else_injects=True)
    for day, area in enumerate(
        [Area.LEFT_THIGH, Area.RIGHT_THIGH, Area.LEFT_ABDOMEN, Area.RIGHT_ABDOMEN], start=14
    ):
        log_dose(therapy, new_york(2026, 11, day, 8), site=sites[area])

    response = alice_client.post(URL, _submission(), headers=HTMX)

    assert "Your dose is logged. Thank you." in words(_card(response))
    assert DoseLog.objects.on_day(datetime.date(2026, 11, 18)).get().site == sites[Area.LEFT_ARM]


def test_one_tap_for_bob_uses_only_his_own_history(
    bob_client: Client,
    bob: User,
    alice_therapy: Therapy,
    bob_therapy: Therapy,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 7), site=sites[Area.LEFT_THIGH])

    response = bob_client.post(URL, _submission(), headers=HTMX)

    card = _card(response)
    assert "Taken at 10:00 AM: 100 mg, Front of left thigh" in words(card)
    assert "7:00" not in response.content.decode()
    bobs = DoseLog.objects.for_patient(bob).get()
    assert bobs.site == sites[Area.LEFT_THIGH]
    assert DoseLog.objects.for_patient(alice_therapy.patient).count() == 1


# --- refusals ----------------------------------------------------------------------------


def test_a_second_one_tap_on_a_once_daily_day_asks_in_the_card_and_saves_nothing(
    alice_client: Client, alice: User, make_therapy: MakeTherapy, log_dose: LogDose
) -> None:
    # 50 mg once a day: a second tap stays within the 100 mg maximum, so it is asked.
    therapy = make_therapy(alice, prescribed_dose="50")
    log_dose(therapy, new_york(2026, 11, 18, 7))

    response = alice_client.post(URL, {"submission_id": str(uuid.uuid4())}, headers=HTMX)

    assert response.status_code == 200
    [alert] = select(_card(response), '[role="alert"]')
    assert SECOND_DOSE in words(alert)
    [link] = select(alert, 'a[href="/doses/new/"]')  # where to confirm it
    assert words(link) == "Open the full dose form"
    assert "Your dose is logged" not in words(response)
    assert DoseLog.objects.count() == 1


def test_a_second_one_tap_without_htmx_goes_to_the_full_form_with_the_question(
    alice_client: Client, alice: User, make_therapy: MakeTherapy, log_dose: LogDose
) -> None:
    # 50 mg once a day: a second tap stays within the 100 mg maximum, so it is asked.
    therapy = make_therapy(alice, prescribed_dose="50")
    log_dose(therapy, new_york(2026, 11, 18, 7))

    response = alice_client.post(URL, _submission())

    assert response.status_code == 302
    assert response["Location"] == "/doses/new/"
    assert DoseLog.objects.count() == 1
    assert SECOND_DOSE in words(alice_client.get("/doses/new/"))


def test_one_tap_above_the_daily_max_is_refused_and_saves_nothing(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 7), dose_mg="60")

    response = alice_client.post(URL, _submission(), headers=HTMX)

    assert over_max(160, 100) in words(_card(response))
    assert DoseLog.objects.count() == 1


def test_one_tap_holds_a_per_kg_patient_to_mg_per_kg_times_weight(
    alice_client: Client, nomid_therapy: Therapy, log_dose: LogDose
) -> None:
    # 2 mg/kg at 10 kg: each tap gives 20 mg; the day's limit is 8 mg/kg x 10 kg = 80 mg.
    log_dose(nomid_therapy, new_york(2026, 11, 18, 7), dose_mg="50")

    first = alice_client.post(URL, _submission(), headers=HTMX)
    assert "Your dose is logged. Thank you." in words(_card(first))
    assert DoseLog.objects.count() == 2

    second = alice_client.post(URL, _submission(), headers=HTMX)

    assert over_max(90, 80) in words(_card(second))
    assert DoseLog.objects.count() == 2
    assert DoseLog.objects.aggregate(total=Sum("dose_mg")) == {"total": Decimal("70")}


def test_one_tap_without_a_submission_id_saves_nothing(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    response = alice_client.post(URL, {}, headers=HTMX)

    [alert] = select(_card(response), '[role="alert"]')
    assert words(alert) == "This field is required. Open the full dose form"
    assert DoseLog.objects.count() == 0


# --- resubmission ------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_double_tap_makes_one_row(
    alice_client: Client, alice_therapy: Therapy, headers: dict[str, str]
) -> None:
    data = _submission()

    first = alice_client.post(URL, data, headers=headers)
    again = alice_client.post(URL, data, headers=headers)

    assert first.status_code == again.status_code
    assert DoseLog.objects.count() == 1
    assert str(DoseLog.objects.get().submission_id) == data["submission_id"]
    if headers:
        # The repeat is answered like the first: no question, no refusal.
        assert "Your dose is logged. Thank you." in words(_card(again))
        assert SECOND_DOSE not in words(again)


# --- the checklist -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_one_tap_rejects_other_methods(
    alice_client: Client, alice_therapy: Therapy, method: str
) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405
    assert DoseLog.objects.count() == 0


def test_one_tap_sends_anonymous_visitors_to_sign_in(client: Client, db: None) -> None:
    plain = client.post(URL, _submission())
    htmx = client.post(URL, _submission(), headers=HTMX)

    assert plain.status_code == 302
    assert plain["Location"] == "/accounts/login/?next=/doses/quick/"
    assert htmx["HX-Redirect"] == "/accounts/login/?next=/doses/quick/"
    assert DoseLog.objects.count() == 0
