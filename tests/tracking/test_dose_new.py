"""/doses/new/: the full dose form, its refusals, the second-dose question, resubmission."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import Client
from pytest_django.asserts import assertContains

from monographs.models import InjectionSite
from portal.models import User
from tests.pages import (
    FUTURE,
    NOT_POSITIVE,
    SECOND_DOSE,
    Markup,
    attr,
    field_errors,
    helper_only,
    over_max,
    radios,
    select,
    select_one,
    words,
)
from tests.world import LogDose, MakeTherapy, new_york
from tracking.models import DoseLog, Therapy

URL = "/doses/new/"
Area = InjectionSite.BodyArea


def _data(site: InjectionSite, /, **changes: str) -> dict[str, str]:
    data = {
        "status": "taken",
        "taken_at": "2026-11-18T09:30",
        "dose_mg": "100",
        "site": str(site.pk),
        "skip_reason": "",
        "note": "",
        "submission_id": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


def _value(page: Markup, name: str) -> str:
    """What the form's input called `name` holds."""
    return attr(select_one(page, f'input[name="{name}"]'), "value")


@pytest.fixture
def thigh(sites: dict[str, InjectionSite]) -> InjectionSite:
    return sites[Area.LEFT_THIGH]


# --- the form ---------------------------------------------------------------------------


def test_form_starts_from_now_the_prescribed_dose_and_the_suggested_site(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    response = alice_client.get(URL)

    assert response.status_code == 200
    assertContains(response, "<h1>Log a dose</h1>", html=True)
    assert _value(response, "taken_at") == "2026-11-18T10:00"  # 15:00 UTC in New York
    assert Decimal(_value(response, "dose_mg")) == Decimal("100")
    assert uuid.UUID(_value(response, "submission_id"))
    [checked] = [radio for radio in radios(response, "site") if radio.checked]
    assert checked.label == "Front of left thigh"
    assert "Suggested: Front of left thigh, the site you have used least recently." in words(
        response
    )


def test_form_labels_every_site_and_marks_the_helper_only_ones(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    labels = [radio.label for radio in radios(alice_client.get(URL), "site")]

    assert labels == [
        "Front of left thigh",
        "Front of right thigh",
        "Left side of lower belly",
        "Right side of lower belly",
        "Back of left upper arm (only when someone else injects)",
        "Back of right upper arm (only when someone else injects)",
        "Upper outer left buttock (only when someone else injects)",
        "Upper outer right buttock (only when someone else injects)",
    ]


def test_body_map_shows_the_suggested_site_and_when_each_was_last_used(
    alice_client: Client,
    alice_therapy: Therapy,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 16, 8), site=sites[Area.LEFT_ABDOMEN])
    log_dose(alice_therapy, new_york(2026, 11, 17, 8), site=sites[Area.LEFT_THIGH])

    response = alice_client.get(URL)

    body_map = select_one(response, '.body-map svg[role="img"]')
    # Each site's circle is drawn by its state and named in its <title>.
    suggested = [words(site) for site in body_map.select("circle.body-map__site--suggested")]
    used = [words(site) for site in body_map.select("circle.body-map__site--used")]
    assert suggested == ["Front of right thigh (suggested next), not used yet"]
    assert sorted(used) == [
        "Front of left thigh, last used 17 Nov",
        "Left side of lower belly, last used 16 Nov",
    ]
    history = [words(item) for item in select(response, ".site-history li")]
    assert "Left side of lower belly: last used 16 Nov 2026" in history
    assert "Suggested next site: Front of right thigh." in words(body_map)
    [checked] = [radio for radio in radios(response, "site") if radio.checked]
    assert checked.label == "Front of right thigh"


def test_helper_box_starts_ticked_when_someone_else_injects(
    alice_client: Client, alice: User, make_therapy: MakeTherapy
) -> None:
    make_therapy(alice, someone_else_injects=True)

    box = select_one(alice_client.get(URL), 'input[name="helper_injecting"]')

    assert box.has_attr("checked")


# --- saving -----------------------------------------------------------------------------


def test_logging_a_taken_dose_saves_it_and_goes_to_the_dashboard(
    alice_client: Client, alice: User, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    response = alice_client.post(
        URL, _data(thigh, taken_at="2026-11-18T07:45", dose_mg="100", note="left it late")
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    dose = DoseLog.objects.get()
    assert dose.patient == alice
    assert dose.therapy == alice_therapy
    assert dose.status == DoseLog.Status.TAKEN
    # Typed as New York wall-clock time, stored in UTC.
    assert dose.taken_at == datetime.datetime(2026, 11, 18, 12, 45, tzinfo=datetime.UTC)
    assert dose.local_date == datetime.date(2026, 11, 18)
    assert dose.dose_mg == Decimal("100")
    assert dose.site == thigh
    assert dose.note == "left it late"
    assert dose.history.get().history_user == alice
    dashboard = words(alice_client.get("/"))
    assert "Dose logged: 100 mg at 7:45 AM, Front of left thigh." in dashboard


def test_logging_a_skipped_dose_keeps_the_reason_and_no_dose_or_site(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    response = alice_client.post(
        URL, _data(thigh, status="skipped", skip_reason="Fever, told to pause")
    )

    assert response.status_code == 302
    dose = DoseLog.objects.get()
    assert dose.status == DoseLog.Status.SKIPPED
    assert dose.skip_reason == "Fever, told to pause"
    assert dose.dose_mg is None
    assert dose.site is None
    assert "Skipped dose logged for 18 November." in words(alice_client.get("/"))


def test_a_dose_logged_late_in_the_evening_counts_for_that_new_york_day(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    response = alice_client.post(URL, _data(thigh, taken_at="2026-11-17T23:30"))

    assert response.status_code == 302
    dose = DoseLog.objects.get()
    assert dose.taken_at == datetime.datetime(2026, 11, 18, 4, 30, tzinfo=datetime.UTC)
    assert dose.local_date == datetime.date(2026, 11, 17)


def test_a_time_within_the_clock_drift_grace_is_not_the_future(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    response = alice_client.post(URL, _data(thigh, taken_at="2026-11-18T10:01"))

    assert response.status_code == 302
    assert DoseLog.objects.count() == 1


def test_a_helper_only_site_is_accepted_when_the_helper_box_is_ticked(
    alice_client: Client, alice_therapy: Therapy, sites: dict[str, InjectionSite]
) -> None:
    arm = sites[Area.LEFT_ARM]

    response = alice_client.post(URL, _data(arm, helper_injecting="on"))

    assert response.status_code == 302
    assert DoseLog.objects.get().site == arm


def test_bobs_dose_is_his_own(
    bob_client: Client,
    bob: User,
    alice_therapy: Therapy,
    bob_therapy: Therapy,
    thigh: InjectionSite,
) -> None:
    response = bob_client.post(URL, _data(thigh))

    assert response.status_code == 302
    dose = DoseLog.objects.get()
    assert dose.patient == bob
    assert dose.therapy == bob_therapy
    assert not DoseLog.objects.for_patient(alice_therapy.patient).exists()


# --- refusals: re-render with the message, save nothing -------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"taken_at": "2026-11-18T11:00"}, "taken_at", FUTURE),
        ({"taken_at": "2026-11-19T09:00"}, "taken_at", FUTURE),
        ({"dose_mg": "0"}, "dose_mg", NOT_POSITIVE),
        ({"dose_mg": "-5"}, "dose_mg", NOT_POSITIVE),
        ({"dose_mg": ""}, "dose_mg", "Enter the dose you took, in mg."),
        ({"dose_mg": "150"}, "dose_mg", over_max(150, 100)),
        ({"site": ""}, "site", "Choose where you injected."),
        ({"status": "skipped"}, "skip_reason", "Say briefly why the dose was skipped."),
    ],
    ids=[
        "an hour ahead",
        "tomorrow",
        "dose zero",
        "dose negative",
        "dose missing",
        "above the daily max",
        "no site",
        "skipped without a reason",
    ],
)
def test_a_refused_dose_re_renders_with_a_plain_message_and_saves_nothing(
    alice_client: Client,
    alice_therapy: Therapy,
    thigh: InjectionSite,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = alice_client.post(URL, _data(thigh, **changes))

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert DoseLog.objects.count() == 0
    # What the patient typed is still there to correct.
    assert _value(response, "taken_at") == changes.get("taken_at", "2026-11-18T09:30")


def test_a_helper_only_site_is_refused_without_the_helper_box(
    alice_client: Client, alice: User, make_therapy: MakeTherapy, sites: dict[str, InjectionSite]
) -> None:
    # Even for a patient who usually has help: the box says who gives this injection.
    make_therapy(alice, someone_else_injects=True)

    response = alice_client.post(URL, _data(sites[Area.RIGHT_BUTTOCK]))

    assert response.status_code == 200
    assert field_errors(response, "site") == [helper_only("Upper outer right buttock")]
    assert DoseLog.objects.count() == 0


def test_a_dose_taking_the_days_total_over_the_max_is_refused(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 7), dose_mg="60")

    response = alice_client.post(URL, _data(thigh, dose_mg="60", confirm_second="true"))

    assert response.status_code == 200
    assert field_errors(response, "dose_mg") == [over_max(120, 100)]
    assert DoseLog.objects.count() == 1


def test_a_per_kg_patients_daily_max_is_dose_per_kg_times_weight(
    alice_client: Client, alice: User, nomid_therapy: Therapy, thigh: InjectionSite
) -> None:
    # NOMID: at most 8 mg/kg a day; at 10 kg that is 80 mg, in one or two doses.
    first = alice_client.post(URL, _data(thigh, dose_mg="50", taken_at="2026-11-18T07:00"))
    assert first.status_code == 302

    response = alice_client.post(URL, _data(thigh, dose_mg="40"))

    assert response.status_code == 200
    assert field_errors(response, "dose_mg") == [over_max(90, 80)]
    assert DoseLog.objects.count() == 1
    # The same patient may still take up to the maximum: 50 + 30 = 80 mg.
    assert alice_client.post(URL, _data(thigh, dose_mg="30")).status_code == 302
    assert list(DoseLog.objects.order_by("dose_mg").values_list("dose_mg", flat=True)) == [
        Decimal("30"),
        Decimal("50"),
    ]


def test_yesterdays_doses_do_not_count_towards_todays_max(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 17, 23, 30))

    response = alice_client.post(URL, _data(thigh, taken_at="2026-11-18T00:30"))

    assert response.status_code == 302
    assert DoseLog.objects.count() == 2


# --- a second dose on a once-daily day --------------------------------------------------


def test_a_second_dose_on_a_once_daily_day_asks_first_then_saves_when_confirmed(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    assert (
        alice_client.post(URL, _data(thigh, dose_mg="40", taken_at="2026-11-18T07:00"))["Location"]
        == "/"
    )
    second = _data(thigh, dose_mg="40")

    question = alice_client.post(URL, second)

    assert question.status_code == 200
    alert = select_one(question, "#confirm-second")
    assert SECOND_DOSE in words(alert)
    assert words(select_one(alert, "button")) == "Yes, log another dose"
    confirm = select_one(question, 'input[name="confirm_second"]')
    assert attr(confirm, "type") == "hidden"
    assert attr(confirm, "value").lower() == "true"
    assert _value(question, "submission_id") == second["submission_id"]
    assert DoseLog.objects.count() == 1

    confirmed = alice_client.post(URL, {**second, "confirm_second": attr(confirm, "value")})

    assert confirmed.status_code == 302
    assert DoseLog.objects.count() == 2
    assert DoseLog.objects.aggregate(total=Sum("dose_mg")) == {"total": Decimal("80")}


def test_a_confirmed_second_dose_is_still_held_to_the_daily_max(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 7), dose_mg="100")

    response = alice_client.post(URL, _data(thigh, dose_mg="40", confirm_second="true"))

    assert response.status_code == 200
    assert field_errors(response, "dose_mg") == [over_max(140, 100)]
    assert DoseLog.objects.count() == 1


def test_a_skipped_entry_does_not_make_the_next_dose_a_second_one(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 7), status="skipped", skip_reason="late")

    response = alice_client.post(URL, _data(thigh))

    assert response.status_code == 302
    assert DoseLog.objects.taken().count() == 1


def test_a_twice_daily_regimen_takes_a_second_dose_without_asking(
    alice_client: Client, nomid_therapy: Therapy, thigh: InjectionSite
) -> None:
    alice_client.post(URL, _data(thigh, dose_mg="20", taken_at="2026-11-18T07:00"))

    response = alice_client.post(URL, _data(thigh, dose_mg="20"))

    assert response.status_code == 302
    assert DoseLog.objects.count() == 2


# --- resubmission -----------------------------------------------------------------------


def test_the_same_form_posted_twice_makes_one_row(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    data = _data(thigh)

    first = alice_client.post(URL, data)
    again = alice_client.post(URL, data)

    assert first.status_code == again.status_code == 302
    assert DoseLog.objects.count() == 1
    assert str(DoseLog.objects.get().submission_id) == data["submission_id"]


def test_a_new_form_on_the_same_day_is_a_second_dose_not_a_resubmission(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    alice_client.post(URL, _data(thigh, dose_mg="40", taken_at="2026-11-18T07:00"))

    response = alice_client.post(URL, _data(thigh, dose_mg="40"))

    assert response.status_code == 200
    assert SECOND_DOSE in words(response)
    assert DoseLog.objects.count() == 1


def test_a_form_submission_id_already_used_by_another_patient_saves_nothing_for_them(
    bob_client: Client,
    alice_therapy: Therapy,
    bob_therapy: Therapy,
    thigh: InjectionSite,
    log_dose: LogDose,
) -> None:
    alices = log_dose(alice_therapy, new_york(2026, 11, 18, 8, 15), note="private")

    response = bob_client.post(URL, _data(thigh, submission_id=str(alices.submission_id)))

    assert response.status_code == 200
    assert "This form has already been used. Reload the page and try again." in words(response)
    assert DoseLog.objects.count() == 1
    assert not DoseLog.objects.for_patient(bob_therapy.patient).exists()
    for page in (response, bob_client.get("/")):
        assert "8:15" not in page.content.decode()  # nowhere, not even in an attribute


# --- the checklist ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_dose_form_rejects_other_methods(
    alice_client: Client, alice_therapy: Therapy, method: str
) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


def test_dose_form_sends_anonymous_visitors_to_sign_in(
    client: Client, thigh: InjectionSite
) -> None:
    assert client.get(URL)["Location"] == "/accounts/login/?next=/doses/new/"
    response = client.post(URL, _data(thigh))
    assert response["Location"] == "/accounts/login/?next=/doses/new/"
    assert DoseLog.objects.count() == 0


def test_a_wall_clock_time_that_does_not_exist_in_new_york_is_refused(
    alice_client: Client, alice_therapy: Therapy, thigh: InjectionSite
) -> None:
    # 02:30 on 8 March 2026 never happened in New York: the clocks jumped from 02:00 to 03:00.
    response = alice_client.post(URL, _data(thigh, taken_at="2026-03-08T02:30"))

    assert response.status_code == 200
    assert field_errors(response, "taken_at") == [
        "2026-03-08 02:30:00 couldn’t be interpreted in time zone America/New_York; "
        "it may be ambiguous or it may not exist."
    ]
    assert DoseLog.objects.count() == 0
