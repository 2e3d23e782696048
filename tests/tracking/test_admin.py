"""Patients in admin: root, a superuser, sets up a patient's page (who acts for them,
their weights, their therapies, checked like the patient's own form); carol, on the
patient's care team, reads it and the dose log without being able to change either.
Every time shown is in the patient's zone."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from monographs.models import DosingRegimen, Medicine
from portal.models import User
from tests.pages import form_data, select, words
from tests.world import NOMID, NOW, PASSWORD, RA, TODAY, LogDose, MakeTherapy, new_york
from tracking.admin import LAST_CARE
from tracking.models import CareRelationship, DoseLog, Patient, ReminderDelivery, Therapy, Weight

PATIENTS = "/admin/tracking/patient/"
PATIENT_ADD = "/admin/tracking/patient/add/"
pytestmark = pytest.mark.usefixtures("clock")

FormData = dict[str, list[str]]


def change_url(patient: Patient) -> str:
    return f"{PATIENTS}{patient.pk}/change/"


def _page(client: Client, url: str) -> FormData:
    """What the patient's admin page would send back unchanged, with "Save" pressed."""
    response = client.get(url)
    assert response.status_code == 200
    data = form_data(response, "patient_form")
    data["_save"] = ["Save"]
    return data


def _add_row(data: FormData, prefix: str, **fields: str | list[str]) -> None:
    """One more row in an inline: the next index, and the count it is sent with."""
    row = int(data[f"{prefix}-TOTAL_FORMS"][0])
    for name, value in fields.items():
        data[f"{prefix}-{row}-{name}"] = [value] if isinstance(value, str) else value
    data[f"{prefix}-TOTAL_FORMS"] = [str(row + 1)]


def _add_therapy(data: FormData, regimen: DosingRegimen, **changes: str | list[str]) -> None:
    fields: dict[str, str | list[str]] = {
        "regimen": str(regimen.pk),
        "prescribed_dose": "100",
        "start_date": "2026-11-02",
        "end_date": "",
        "first_time": "08:00",
        "second_time": "",
        "dose_days": regimen.allowed_days()[0].value,
    }
    fields.update(changes)
    _add_row(data, "therapies", **fields)


def _therapy_row(data: FormData, row: int = 0, **changes: str) -> None:
    for name, value in changes.items():
        data[f"therapies-{row}-{name}"] = [value]


# --- the patient's page -------------------------------------------------------------------


def test_the_patient_page_shows_who_acts_for_them_their_weights_and_therapies(
    root_client: Client, mia: Patient, mia_therapy: Therapy
) -> None:
    response = root_client.get(change_url(mia))

    assert response.status_code == 200
    groups = {str(group.get("id")): words(group) for group in select(response, "div.inline-group")}
    assert list(groups) == ["care-group", "weights-group", "therapies-group"]
    assert groups["care-group"].startswith("Care relationships")
    assert "sam@example.com for Mia (Parent or guardian)" in groups["care-group"]
    assert "una@example.com for Mia (Other caregiver)" in groups["care-group"]
    # Since when, on Mia's clock with the zone named: 15:00 UTC is 10:00 in New York.
    assert "18 Nov 2026, 10:00 AM EST" in groups["care-group"]
    assert groups["weights-group"].startswith("Weights")
    assert "16.0 kg on 2026-10-09" in groups["weights-group"]
    assert groups["therapies-group"].startswith("Therapies")
    assert "Mia on Anakinra (Kineret)" in groups["therapies-group"]
    # The therapy is set with the patient's own form: times of day, not raw JSON.
    data = form_data(response, "patient_form")
    assert data["therapies-0-regimen"] == [str(mia_therapy.regimen_id)]
    assert data["therapies-0-first_time"] == ["08:00"]
    assert data["therapies-0-second_time"] == ["20:00"]


def test_the_care_team_reads_the_patient_page_but_changes_nothing(
    carol_client: Client, mia: Patient, mia_therapy: Therapy
) -> None:
    page = carol_client.get(change_url(mia))
    assert page.status_code == 200
    shown = words(page)
    assert "sam@example.com for Mia (Parent or guardian)" in shown
    assert "16.0 kg on 2026-10-09" in shown
    assert "Mia on Anakinra (Kineret)" in shown
    [form] = select(page, "form#patient_form")
    assert select(form, "input:not([type=hidden]), select, textarea") == []

    posted = carol_client.post(
        change_url(mia), {"name": "Renamed", "time_zone": "Europe/London", "_save": "Save"}
    )

    assert posted.status_code == 403
    mia.refresh_from_db()
    assert (mia.name, mia.time_zone) == ("Mia", "America/New_York")
    assert carol_client.get(PATIENT_ADD).status_code == 403


def test_root_adds_a_therapy_for_alice(
    root_client: Client,
    root: User,
    alice_patient: Patient,
    anakinra: Medicine,
    regimens: dict[str, DosingRegimen],
) -> None:
    data = _page(root_client, change_url(alice_patient))
    _add_therapy(data, regimens[RA])

    response = root_client.post(change_url(alice_patient), data)

    assert response.status_code == 302
    therapy = Therapy.objects.get(patient=alice_patient)
    assert therapy.medicine == anakinra  # follows from the regimen
    assert therapy.regimen == regimens[RA]
    assert therapy.prescribed_dose == Decimal("100")
    assert therapy.start_date == datetime.date(2026, 11, 2)
    assert therapy.dose_times == ["08:00"]
    assert therapy.history.get().history_user == root


def test_root_adds_a_weight_based_therapy_with_the_childs_weight(
    root_client: Client,
    root: User,
    leo: Patient,
    regimens: dict[str, DosingRegimen],
) -> None:
    data = _page(root_client, change_url(leo))
    _add_row(data, "weights", measured_on=TODAY.isoformat(), weight_kg="10")
    _add_therapy(data, regimens[NOMID], prescribed_dose="2", second_time="20:00")

    response = root_client.post(change_url(leo), data)

    assert response.status_code == 302
    weight = Weight.objects.get(patient=leo)
    assert (weight.measured_on, weight.weight_kg, weight.entered_by) == (
        TODAY,
        Decimal("10.0"),
        root,
    )
    therapy = Therapy.objects.get(patient=leo)
    assert therapy.dose_times == ["08:00", "20:00"]
    assert therapy.max_daily_mg_on(TODAY) == Decimal("80.00")


@pytest.mark.parametrize(
    ("indication", "changes", "message"),
    [
        (
            RA,
            {"prescribed_dose": "150"},
            "That is more than this regimen allows: at most 100 mg a day. "
            "Check the dose on your prescription.",
        ),
        (
            NOMID,
            {"prescribed_dose": "2"},
            "This regimen is dosed by body weight: add the patient’s weight under Weights.",
        ),
        (
            RA,
            {"start_date": (TODAY + datetime.timedelta(days=61)).isoformat()},
            "The start date is too far ahead. Use a date on or before 17 January 2027.",
        ),
        (RA, {"second_time": "20:00"}, "This regimen is taken once a day: enter one time."),
    ],
    ids=["dose above max", "weight missing", "start too far ahead", "two times once a day"],
)
def test_admin_refuses_a_bad_therapy_like_the_patients_form(
    root_client: Client,
    alice_patient: Patient,
    regimens: dict[str, DosingRegimen],
    indication: str,
    changes: dict[str, str],
    message: str,
) -> None:
    data = _page(root_client, change_url(alice_patient))
    _add_therapy(data, regimens[indication], **changes)

    response = root_client.post(change_url(alice_patient), data)

    assert response.status_code == 200
    assert message in words(response)
    assert Therapy.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "weight", "message"),
    [
        ({"time_zone": "Moon/Tranquility"}, None, "Choose a time zone from the list"),
        ({}, "351", "Enter a body weight between 0.5 and 350 kg."),
        ({"name": ""}, None, "This field is required."),
    ],
    ids=["time zone", "weight", "no name"],
)
def test_admin_refuses_a_bad_patient_or_weight_and_saves_nothing(
    root_client: Client,
    alice_patient: Patient,
    regimens: dict[str, DosingRegimen],
    changes: dict[str, str],
    weight: str | None,
    message: str,
) -> None:
    data = _page(root_client, change_url(alice_patient))
    data["date_of_birth"] = ["1984-03-07"]
    data.update({name: [value] for name, value in changes.items()})
    if weight is not None:
        _add_row(data, "weights", measured_on=TODAY.isoformat(), weight_kg=weight)
    _add_therapy(data, regimens[RA])

    response = root_client.post(change_url(alice_patient), data)

    assert response.status_code == 200
    assert message in words(response)
    alice_patient.refresh_from_db()
    assert (alice_patient.name, alice_patient.date_of_birth, alice_patient.time_zone) == (
        "Alice",
        None,
        "America/New_York",
    )
    assert Weight.objects.count() == 0
    assert Therapy.objects.count() == 0


def test_root_corrects_alices_dose(
    root_client: Client, root: User, alice_therapy: Therapy
) -> None:
    url = change_url(alice_therapy.patient)
    data = _page(root_client, url)
    _therapy_row(data, prescribed_dose="50")

    response = root_client.post(url, data)

    assert response.status_code == 302
    alice_therapy.refresh_from_db()
    assert alice_therapy.prescribed_dose == Decimal("50")
    assert alice_therapy.dose_times == ["08:00"]
    assert alice_therapy.history.first().history_user == root


def test_a_refused_correction_in_admin_leaves_the_therapy_unchanged(
    root_client: Client, alice_therapy: Therapy
) -> None:
    url = change_url(alice_therapy.patient)
    data = _page(root_client, url)
    _therapy_row(data, prescribed_dose="200")

    response = root_client.post(url, data)

    assert response.status_code == 200
    assert "at most 100 mg a day" in words(response)
    alice_therapy.refresh_from_db()
    assert alice_therapy.prescribed_dose == Decimal("100")
    assert alice_therapy.history.count() == 1


# --- who acts for the patient ---------------------------------------------------------------


def test_root_adds_a_second_parent(root_client: Client, root: User, leo: Patient) -> None:
    parent = User.objects.create_user("pat@example.com", PASSWORD, display_name="Pat")
    data = _page(root_client, change_url(leo))
    _add_row(data, "care", account=str(parent.pk), role="guardian")

    response = root_client.post(change_url(leo), data)

    assert response.status_code == 302
    care = CareRelationship.objects.get(patient=leo, account=parent)
    assert (care.role, care.ended_at) == (CareRelationship.Role.GUARDIAN, None)
    assert care.history.get().history_user == root
    assert list(Patient.objects.for_account(parent)) == [leo]


def test_root_ends_a_helpers_access_at_a_time_on_the_childs_clock(
    root_client: Client, una_client: Client, una: User, mia: Patient, mia_therapy: Therapy
) -> None:
    data = _page(root_client, change_url(mia))
    [row] = [
        name
        for name, value in data.items()
        if name.endswith("-account") and value == [str(una.pk)]
    ]
    prefix = row.removesuffix("account")
    data[f"{prefix}ended_at_0"] = ["2026-11-18"]
    data[f"{prefix}ended_at_1"] = ["09:30"]

    response = root_client.post(change_url(mia), data)

    assert response.status_code == 302
    care = CareRelationship.objects.get(patient=mia, account=una)
    assert care.ended_at == new_york(2026, 11, 18, 9, 30)  # Mia's 9:30, not UTC's
    assert (
        CareRelationship.objects.get(patient=mia, account__email="sam@example.com").ended_at
        is None
    )
    assert una_client.get(f"/p/{mia.uuid}/").status_code == 404


def test_admin_cannot_end_the_last_care_relationship(
    root_client: Client, alice_therapy: Therapy
) -> None:
    patient = alice_therapy.patient
    data = _page(root_client, change_url(patient))
    data["name"] = ["Alicia"]
    data["care-0-ended_at_0"] = ["2026-11-18"]
    data["care-0-ended_at_1"] = ["09:00"]
    _therapy_row(data, prescribed_dose="50")

    response = root_client.post(change_url(patient), data)

    assert response.status_code == 200
    assert LAST_CARE in words(response)
    # Nothing was changed, the rest of the page included.
    care = CareRelationship.objects.get(patient=patient)
    assert care.ended_at is None
    patient.refresh_from_db()
    assert patient.name == "Alice"
    alice_therapy.refresh_from_db()
    assert alice_therapy.prescribed_dose == Decimal("100")


def test_a_new_patient_needs_someone_who_acts_for_them(root_client: Client, db: None) -> None:
    data = _page(root_client, PATIENT_ADD)
    data.update({"name": ["Nobody's"], "time_zone": ["America/New_York"]})

    response = root_client.post(PATIENT_ADD, data)

    assert response.status_code == 200
    assert LAST_CARE in words(response)
    assert Patient.objects.count() == 0


def test_root_adds_a_patient_with_their_parent(
    root_client: Client, sam: User, regimens: dict[str, DosingRegimen]
) -> None:
    data = _page(root_client, PATIENT_ADD)
    data.update(
        {
            "name": ["Ava"],
            "date_of_birth": ["2021-06-01"],
            "time_zone": ["America/Chicago"],
        }
    )
    _add_row(data, "care", account=str(sam.pk), role="guardian")
    _add_row(data, "weights", measured_on=TODAY.isoformat(), weight_kg="12")
    _add_therapy(data, regimens[NOMID], prescribed_dose="1")

    response = root_client.post(PATIENT_ADD, data)

    assert response.status_code == 302
    ava = Patient.objects.get(name="Ava")
    assert list(Patient.objects.for_account(sam)) == [ava]
    assert Therapy.objects.get(patient=ava).dose_mg == Decimal("12.00")


# --- dose logs are read-only, and shown on the patient's clock ---------------------------------


@pytest.fixture
def dose(alice_therapy: Therapy, log_dose: LogDose) -> DoseLog:
    return log_dose(alice_therapy, new_york(2026, 11, 18, 8, 15), note="thigh a bit sore")


def test_carol_reads_the_dose_log(carol_client: Client, dose: DoseLog) -> None:
    listing = carol_client.get("/admin/tracking/doselog/")
    detail = carol_client.get(f"/admin/tracking/doselog/{dose.pk}/change/")

    assert listing.status_code == 200
    assert "Alice" in words(listing)
    assert "18 Nov 2026, 8:15 AM EST" in words(listing)
    assert detail.status_code == 200
    assert "thigh a bit sore" in words(detail)
    assert "18 Nov 2026, 8:15 AM EST" in words(detail)
    # Shown, not editable: no field to change and no button to save.
    for name in ("dose_mg", "note", "_save"):
        assert select(detail, f'[name="{name}"]') == [], name


def test_admin_lists_show_times_on_the_patients_clock_never_in_utc(
    carol_client: Client, alice: User, make_therapy: MakeTherapy, log_dose: LogDose
) -> None:
    therapy = make_therapy(alice, time_zone="Pacific/Honolulu", usual_dose_time=datetime.time(21))
    # 21:30 on 17 November in Honolulu is 07:30 on the 18th in UTC.
    log_dose(therapy, datetime.datetime(2026, 11, 17, 21, 30, tzinfo=therapy.patient.zone))
    ReminderDelivery.objects.create(
        patient=therapy.patient,
        account=alice,
        reason=ReminderDelivery.Reason.DOSE_NOT_LOGGED,
        due_date=TODAY,
        slot="21:00",
        sent_at=NOW,
    )

    doses = words(carol_client.get("/admin/tracking/doselog/"))
    reminders = words(carol_client.get("/admin/tracking/reminderdelivery/"))
    patient = words(carol_client.get(change_url(therapy.patient)))

    assert "17 Nov 2026, 9:30 PM HST" in doses
    assert "7:30" not in doses
    assert "18 Nov 2026, 5:00 AM HST" in reminders  # NOW, 15:00 UTC
    assert "3 p.m." not in reminders
    assert "3:00 PM" not in reminders
    assert "18 Nov 2026, 5:00 AM HST" in patient  # since when alice acts for herself
    assert "UTC" not in doses + reminders + patient


def test_carol_cannot_add_change_or_delete_a_dose(carol_client: Client, dose: DoseLog) -> None:
    change = carol_client.post(
        f"/admin/tracking/doselog/{dose.pk}/change/", {"note": "edited", "dose_mg": "10"}
    )
    delete = carol_client.post(f"/admin/tracking/doselog/{dose.pk}/delete/", {"post": "yes"})
    add = carol_client.get("/admin/tracking/doselog/add/")

    assert change.status_code == 403
    assert delete.status_code == 403
    assert add.status_code == 403
    dose.refresh_from_db()
    assert dose.note == "thigh a bit sore"
    assert dose.dose_mg == Decimal("100")


def test_even_a_superuser_cannot_add_or_delete_a_dose(root_client: Client, dose: DoseLog) -> None:
    assert root_client.get("/admin/tracking/doselog/add/").status_code == 403
    assert (
        root_client.post(f"/admin/tracking/doselog/{dose.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    detail = root_client.get(f"/admin/tracking/doselog/{dose.pk}/change/")
    assert select(detail, '[name="dose_mg"]') == []
    assert DoseLog.objects.filter(pk=dose.pk).exists()


@pytest.mark.parametrize("url", [PATIENTS, PATIENT_ADD, "/admin/tracking/doselog/"])
def test_patients_cannot_open_the_admin(
    alice_client: Client, alice_therapy: Therapy, url: str
) -> None:
    response = alice_client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
