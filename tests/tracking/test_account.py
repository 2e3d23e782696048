"""/account/: the people the account acts for, its email choices, the private calendar
link, and downloads of everything the portal holds for it."""

from __future__ import annotations

import csv
import datetime
import io
import json
from typing import Any

import pytest
from django.test import Client

from monographs.models import LabRule, Medicine
from portal.models import User
from tests.pages import (
    attr,
    is_login_redirect,
    patient_url,
    section_words,
    select,
    select_one,
    words,
)
from tests.world import (
    NOW,
    TODAY,
    LogDose,
    MakeTherapy,
    Urgency,
    end_access,
    local_time,
    new_report,
    new_result,
    prompt_effects,
)
from tracking.models import (
    DoseLog,
    Patient,
    PatientPreferences,
    ReminderDelivery,
    Therapy,
)

URL = "/account/"
EXPORT = "/account/export.json"
DOSE_CSV = "/doses/export.csv"
RESET = "/account/calendar-link/"
YESTERDAY = TODAY - datetime.timedelta(days=1)
# NOW in New York, as the export writes it.
NOW_IN_NEW_YORK = "2026-11-18T10:00:00-05:00"


def _reminder(patient: Patient, account: User) -> ReminderDelivery:
    return ReminderDelivery.objects.create(
        patient=patient,
        account=account,
        reason=ReminderDelivery.Reason.LAB_OVERDUE,
        due_date=TODAY,
        sent_at=NOW,
    )


@pytest.fixture
def alices_world(
    alice: User, alice_therapy: Therapy, anakinra: Medicine, anc_rule: LabRule, log_dose: LogDose
) -> dict[str, Any]:
    """One of each thing alice can have, returned so a test can look for it."""
    alice_patient = alice_therapy.patient
    headache = prompt_effects(anakinra, Urgency.TELL_DOCTOR)[1]
    dose = log_dose(alice_therapy, local_time(alice_therapy, YESTERDAY))
    skipped = log_dose(
        alice_therapy,
        local_time(alice_therapy, TODAY - datetime.timedelta(days=2)),
        status="skipped",
        skip_reason="Unwell",
    )
    report = new_report(
        alice_patient, headache, other="Alice's own words", dose=dose, severity="mild"
    )
    result = new_result(
        alice_patient,
        anc_rule,
        month=1,
        value=850,
        taken_on=TODAY - datetime.timedelta(days=9),
        needs_review=True,
    )
    PatientPreferences.objects.create(account=alice, email_dose_reminders=False)
    reminder = _reminder(alice_patient, alice)
    return {
        "dose": dose,
        "skipped": skipped,
        "report": report,
        "result": result,
        "reminder": reminder,
        "headache": headache,
    }


@pytest.fixture
def family_doses(
    sam: User, una: User, mia_therapy: Therapy, leo_therapy: Therapy, log_dose: LogDose
) -> dict[str, DoseLog]:
    """Sam gave Mia's morning dose and Leo's; Una gave Mia's evening dose, yesterday."""
    return {
        "mia_morning": log_dose(mia_therapy, local_time(mia_therapy, YESTERDAY, 8, 5), by=sam),
        "mia_evening": log_dose(mia_therapy, local_time(mia_therapy, YESTERDAY, 20, 10), by=una),
        "leo": log_dose(leo_therapy, local_time(leo_therapy, YESTERDAY, 7, 40), by=sam),
    }


def _export(client: Client) -> dict[str, Any]:
    response = client.get(EXPORT)
    assert response.status_code == 200
    data: dict[str, Any] = json.loads(response.content)
    return data


def _by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {patient["name"]: patient for patient in data["patients"]}


# --- the page ------------------------------------------------------------------------------


@pytest.mark.usefixtures("alice_therapy")
def test_shows_the_choices_the_calendar_link_and_the_downloads(
    alice_client: Client, alice: User, alice_patient: Patient
) -> None:
    response = alice_client.get(URL)

    assert response.status_code == 200
    token = PatientPreferences.objects.get(account=alice).calendar_token
    calendar = select_one(response, 'section[aria-labelledby="calendar-heading"]')
    field = select_one(calendar, "input#calendar-url")
    assert attr(field, "value") == f"http://testserver/labs/calendar/{token}.ics"
    assert words(select_one(calendar, 'label[for="calendar-url"]')) == "Your calendar link"
    for name in ("email_lab_reminders", "email_dose_reminders"):
        checkbox = select_one(response, f'input[type="checkbox"][name="{name}"]')
        assert checkbox.has_attr("checked")  # on until the account turns them off
    downloads = select_one(response, 'section[aria-labelledby="data-heading"]')
    assert {attr(link, "href") for link in downloads.select("a")} == {
        EXPORT,
        patient_url(alice_patient, DOSE_CSV),
        patient_url(alice_patient, "/summary/"),
    }
    assert "Download everything the portal holds about you (JSON)" in words(downloads)
    people = section_words(response, "people-heading")
    assert "Alice (yourself)." in people


@pytest.mark.usefixtures("mia_therapy", "leo_therapy")
def test_lists_the_people_a_parent_acts_for_with_their_downloads(
    sam_client: Client, mia: Patient, leo: Patient
) -> None:
    response = sam_client.get(URL)

    people = select_one(response, 'section[aria-labelledby="people-heading"]')
    assert "Leo (parent or guardian)." in words(people)
    assert "Mia (parent or guardian)." in words(people)
    assert {attr(link, "href") for link in people.select("a")} == {
        patient_url(mia, "/"),
        patient_url(mia, "/caregivers/"),
        patient_url(leo, "/"),
        patient_url(leo, "/caregivers/"),
        "/setup/",
    }
    downloads = select_one(response, 'section[aria-labelledby="data-heading"]')
    assert {attr(link, "href") for link in downloads.select("a")} == {
        EXPORT,
        patient_url(mia, DOSE_CSV),
        patient_url(mia, "/summary/"),
        patient_url(leo, DOSE_CSV),
        patient_url(leo, "/summary/"),
    }
    assert "Download Mia’s dose log (CSV spreadsheet)" in words(downloads)
    assert "the people you act for" in words(downloads)


@pytest.mark.usefixtures("mia_therapy", "leo_therapy")
def test_a_helper_sees_only_the_child_she_helps_until_her_access_ends(
    una_client: Client, una: User, mia: Patient
) -> None:
    people = section_words(una_client.get(URL), "people-heading")
    assert "Mia (other caregiver)." in people
    assert "Leo" not in people

    end_access(una, mia)

    response = una_client.get(URL)
    assert response.status_code == 200
    people = section_words(response, "people-heading")
    assert "Mia" not in people
    assert "You do not act for anyone in the portal yet." in people
    assert select(response, f'a[href^="/p/{mia.uuid}/"]') == []


def test_the_account_page_works_before_anyone_is_set_up(
    bob_client: Client, anakinra: Medicine
) -> None:
    response = bob_client.get(URL)

    assert response.status_code == 200
    people = select_one(response, 'section[aria-labelledby="people-heading"]')
    assert [attr(link, "href") for link in people.select("a")] == ["/setup/"]
    assert "Set up the portal" in words(people)


@pytest.mark.usefixtures("alice_therapy")
def test_turning_off_dose_emails_keeps_lab_emails(alice_client: Client, alice: User) -> None:
    response = alice_client.post(URL, {"email_lab_reminders": "on"}, follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert "Your email choices are saved." in words(response)
    preferences = PatientPreferences.objects.get(account=alice)
    assert preferences.email_lab_reminders is True
    assert preferences.email_dose_reminders is False


@pytest.mark.usefixtures("alice_therapy")
def test_turning_both_off(alice_client: Client, alice: User) -> None:
    alice_client.post(URL, {})

    preferences = PatientPreferences.objects.get(account=alice)
    assert (preferences.email_lab_reminders, preferences.email_dose_reminders) == (False, False)


@pytest.mark.usefixtures("alice_therapy", "bob_therapy")
def test_saving_choices_changes_only_ones_own(bob_client: Client, alice: User, bob: User) -> None:
    PatientPreferences.objects.create(account=alice)

    bob_client.post(URL, {})

    alices = PatientPreferences.objects.get(account=alice)
    assert (alices.email_lab_reminders, alices.email_dose_reminders) == (True, True)
    assert PatientPreferences.objects.get(account=bob).email_lab_reminders is False


@pytest.mark.usefixtures("mia_therapy")
def test_each_caregiver_chooses_their_own_emails(
    client: Client, sam: User, una: User, mia: Patient
) -> None:
    client.force_login(una)

    client.post(URL, {"email_lab_reminders": "on"})

    assert PatientPreferences.objects.get(account=una).email_dose_reminders is False
    assert not PatientPreferences.objects.filter(account=sam).exists()  # Sam's still the default


@pytest.mark.usefixtures("alice_therapy")
def test_a_new_calendar_link_replaces_the_old_one(alice_client: Client, alice: User) -> None:
    old = PatientPreferences.objects.create(account=alice).calendar_token

    response = alice_client.post(RESET, follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert "The old link no longer works anywhere." in words(response)
    new = PatientPreferences.objects.get(account=alice).calendar_token
    assert new != old
    assert attr(select_one(response, "#calendar-url"), "value").endswith(
        f"/labs/calendar/{new}.ics"
    )
    assert old not in response.content.decode()


@pytest.mark.usefixtures("alice_therapy", "bob_therapy")
def test_a_new_calendar_link_for_bob_leaves_alices_alone(bob_client: Client, alice: User) -> None:
    alices = PatientPreferences.objects.create(account=alice).calendar_token

    bob_client.post(RESET)

    assert PatientPreferences.objects.get(account=alice).calendar_token == alices


# --- downloads -----------------------------------------------------------------------------


def test_export_holds_all_of_alices_own_data(
    alice_client: Client,
    alice: User,
    alice_therapy: Therapy,
    anakinra: Medicine,
    alices_world: dict[str, Any],
) -> None:
    world = alices_world

    response = alice_client.get(EXPORT)

    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"] == {"email": alice.email, "name": "Alice"}
    assert data["preferences"] == {"email_lab_reminders": True, "email_dose_reminders": False}
    [patient] = data["patients"]
    assert (patient["name"], patient["you_act_as"], patient["time_zone"]) == (
        "Alice",
        "Yourself",
        "America/New_York",
    )
    [therapy] = patient["therapies"]
    assert therapy["start_date"] == alice_therapy.start_date.isoformat()
    assert therapy["medicine"] == anakinra.display_name
    assert therapy["schedule"] == "8:00 AM, every day"
    doses = {dose["id"]: dose for dose in patient["doses"]}
    assert set(doses) == {str(world["dose"].uuid), str(world["skipped"].uuid)}
    taken = doses[str(world["dose"].uuid)]
    assert taken["taken_at"] == "2026-11-17T08:00:00-05:00"  # her own clock, with its offset
    assert (taken["local_date"], taken["scheduled_time"]) == ("2026-11-17", "08:00:00")
    assert (taken["dose_mg"], taken["logged_by"]) == ("100.00", "Alice")
    assert doses[str(world["skipped"].uuid)]["skip_reason"] == "Unwell"
    [report] = patient["side_effect_reports"]
    assert report["id"] == str(world["report"].uuid)
    assert report["created_at"] == NOW_IN_NEW_YORK
    assert report["other"] == "Alice's own words"
    assert report["items"] == [
        {"side_effect": world["headache"].name, "severity": "mild", "started_on": None}
    ]
    [result] = patient["lab_results"]
    assert result["id"] == str(world["result"].uuid)
    assert result["value_cells_per_ul"] == "850.0"
    assert result["sent_for_review"] is True
    assert patient["reminders"] == [
        {
            "reason": ReminderDelivery.Reason.LAB_OVERDUE.value,
            "due_date": TODAY.isoformat(),
            "sent_at": NOW_IN_NEW_YORK,
        }
    ]


def test_the_export_writes_times_on_the_patients_clock_far_from_utc(
    alice_client: Client, alice: User, make_therapy: MakeTherapy, log_dose: LogDose
) -> None:
    therapy = make_therapy(alice, time_zone="Pacific/Honolulu", usual_dose_time=datetime.time(21))
    # 21:30 on 17 November in Honolulu: in UTC it is already the 18th.
    log_dose(therapy, local_time(therapy, YESTERDAY, 21, 30))

    [dose] = _export(alice_client)["patients"][0]["doses"]

    assert dose["taken_at"] == "2026-11-17T21:30:00-10:00"
    assert dose["local_date"] == "2026-11-17"


def test_a_parents_export_holds_each_childs_data_and_who_logged_it(
    sam_client: Client,
    sam: User,
    una: User,
    mia: Patient,
    leo: Patient,
    anakinra: Medicine,
    family_doses: dict[str, DoseLog],
) -> None:
    report = new_report(mia, prompt_effects(anakinra, Urgency.TELL_DOCTOR)[0])
    report.entered_by = una
    report.save()
    _reminder(mia, sam)

    data = _export(sam_client)

    patients = _by_name(data)
    assert list(patients) == ["Leo", "Mia"]
    mias = patients["Mia"]
    assert (mias["you_act_as"], mias["date_of_birth"]) == ("Parent or guardian", "2022-05-03")
    assert mias["weights"] == [{"measured_on": "2026-10-09", "weight_kg": "16.0"}]
    assert [therapy["schedule"] for therapy in mias["therapies"]] == [
        "8:00 AM and 8:00 PM, every day"
    ]
    assert [(dose["id"], dose["logged_by"], dose["dose_mg"]) for dose in mias["doses"]] == [
        (str(family_doses["mia_morning"].uuid), "Sam", "16.00"),
        (str(family_doses["mia_evening"].uuid), "Una", "16.00"),
    ]
    assert [dose["scheduled_time"] for dose in mias["doses"]] == ["08:00:00", "20:00:00"]
    [mias_report] = mias["side_effect_reports"]
    assert (mias_report["id"], mias_report["reported_by"]) == (str(report.uuid), "Una")
    assert [reminder["due_date"] for reminder in mias["reminders"]] == [TODAY.isoformat()]
    leos = patients["Leo"]
    assert [(dose["id"], dose["logged_by"]) for dose in leos["doses"]] == [
        (str(family_doses["leo"].uuid), "Sam")
    ]
    assert leos["side_effect_reports"] == []
    assert leos["reminders"] == []


def test_a_helpers_export_holds_only_the_child_she_helps(
    una_client: Client, sam: User, mia: Patient, family_doses: dict[str, DoseLog]
) -> None:
    _reminder(mia, sam)  # sent to Sam: his, not hers

    response = una_client.get(EXPORT)

    body = response.content.decode()
    assert str(family_doses["leo"].uuid) not in body
    assert "Leo" not in body
    assert sam.email not in body
    data = json.loads(body)
    [patient] = data["patients"]
    assert (patient["name"], patient["you_act_as"]) == ("Mia", "Other caregiver")
    assert {dose["id"] for dose in patient["doses"]} == {
        str(family_doses["mia_morning"].uuid),
        str(family_doses["mia_evening"].uuid),
    }
    assert patient["reminders"] == []


def test_an_export_after_access_ended_holds_nothing_of_the_child(
    una_client: Client, una: User, mia: Patient, family_doses: dict[str, DoseLog]
) -> None:
    end_access(una, mia)

    response = una_client.get(EXPORT)

    body = response.content.decode()
    assert "Mia" not in body
    for dose in family_doses.values():
        assert str(dose.uuid) not in body
    assert json.loads(body)["patients"] == []


def test_bobs_export_holds_none_of_alices_rows(
    bob_client: Client,
    bob: User,
    alice: User,
    bob_therapy: Therapy,
    alices_world: dict[str, Any],
    log_dose: LogDose,
) -> None:
    world = alices_world
    bobs_dose = log_dose(bob_therapy, local_time(bob_therapy, YESTERDAY))

    response = bob_client.get(EXPORT)

    body = response.content.decode()
    for row in ("dose", "skipped", "report", "result"):
        assert str(world[row].uuid) not in body
    assert alice.email not in body
    assert "Alice" not in body
    data = json.loads(body)
    assert data["account"]["email"] == bob.email
    [patient] = data["patients"]
    assert patient["name"] == "Bob"
    assert [therapy["start_date"] for therapy in patient["therapies"]] == [
        bob_therapy.start_date.isoformat()
    ]
    assert [dose["id"] for dose in patient["doses"]] == [str(bobs_dose.uuid)]
    assert patient["side_effect_reports"] == []
    assert patient["lab_results"] == []
    assert patient["reminders"] == []


def test_the_dose_csv_holds_only_the_patients_own_doses(
    bob_client: Client, alice_therapy: Therapy, bob_therapy: Therapy, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, local_time(alice_therapy, TODAY - datetime.timedelta(days=3)))
    log_dose(bob_therapy, local_time(bob_therapy, YESTERDAY))

    response = bob_client.get(patient_url(bob_therapy.patient, DOSE_CSV))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.streaming
    rows = list(csv.reader(io.StringIO(response.getvalue().decode())))
    assert rows[0][0] == "date"  # the columns are test_dose_export's to pin
    assert [row[0] for row in rows[1:]] == [YESTERDAY.isoformat()]
    assert bob_client.get(patient_url(alice_therapy.patient, DOSE_CSV)).status_code == 404


# --- who may do what -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", URL), ("post", URL), ("get", EXPORT), ("post", RESET), ("get", DOSE_CSV)],
)
def test_anonymous_visitors_are_sent_to_sign_in(
    client: Client, db: None, method: str, url: str
) -> None:
    assert is_login_redirect(getattr(client, method)(url), url)


@pytest.mark.usefixtures("alice_therapy")
@pytest.mark.parametrize(
    ("method", "url"),
    [("put", URL), ("delete", URL), ("post", EXPORT), ("get", RESET), ("post", DOSE_CSV)],
)
def test_other_methods_are_not_allowed(
    alice_client: Client, alice: User, method: str, url: str
) -> None:
    before = PatientPreferences.objects.filter(account=alice).values_list(
        "calendar_token", flat=True
    )
    tokens = list(before)

    assert getattr(alice_client, method)(url).status_code == 405
    assert list(before) == tokens
