"""The staff access log: every admin page that shows or changes a patient's data writes
who, when, which patient and record, the page's path and the address it came from.

Rows are only ever added: not through the ORM, not in raw SQL (the trigger of
portal/migrations/0002), not in admin, where only superusers read them.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from monographs.models import LabRule, Medicine
from portal.models import StaffAccess, User
from tests.pages import form_data, select
from tests.world import (
    NORTH_CLINIC,
    NOW,
    TODAY,
    BulkDoses,
    LogDose,
    MakeTherapy,
    Urgency,
    new_report,
    new_result,
    new_york,
    prompt_effects,
)
from tracking.models import (
    CareTeam,
    DoseLog,
    LabResult,
    Patient,
    ReminderDelivery,
    SideEffectReport,
    Therapy,
)

pytestmark = pytest.mark.usefixtures("clock")

ADDRESS = "203.0.113.7"
DOSES = "/admin/tracking/doselog/"
PATIENTS = "/admin/tracking/patient/"
REPORTS = "/admin/tracking/sideeffectreport/"


def _rows() -> list[tuple[Any, ...]]:
    """What the log holds, oldest first: staff, action, patient, record, path, search, address."""
    return list(
        StaffAccess.objects.order_by("id").values_list(
            "staff__email",
            "action",
            "patient__name",
            "record_type",
            "record_id",
            "path",
            "search",
            "address",
        )
    )


def _carol(action: str, patient: str | None, record: str, record_id: object, path: str) -> tuple:
    return ("carol@example.com", action, patient, record, str(record_id), path, "", ADDRESS)


@pytest.fixture
def dose(alice_therapy: Therapy, log_dose: LogDose) -> DoseLog:
    return log_dose(alice_therapy, new_york(2026, 11, 18, 8, 5))


@pytest.fixture
def report(alice: User, alice_therapy: Therapy, anakinra: Medicine) -> SideEffectReport:
    return new_report(alice, prompt_effects(anakinra, Urgency.CALL_DOCTOR)[0], needs_review=True)


# --- what is written ----------------------------------------------------------------------


def test_a_list_writes_one_row_per_patient_shown(
    carol_client: Client, dose: DoseLog, mia_therapy: Therapy, log_dose: LogDose
) -> None:
    log_dose(mia_therapy, new_york(2026, 11, 18, 8, 0))
    log_dose(mia_therapy, new_york(2026, 11, 17, 20, 0))

    response = carol_client.get(DOSES, {"o": "1"}, REMOTE_ADDR=ADDRESS)

    assert response.status_code == 200
    assert sorted(_rows(), key=str) == [
        _carol("list", "Alice", "tracking.doselog", "", DOSES),
        _carol("list", "Mia", "tracking.doselog", "", DOSES),
    ]


def test_a_list_of_patients_names_no_record(carol_client: Client, alice_patient: Patient) -> None:
    carol_client.get(PATIENTS, REMOTE_ADDR=ADDRESS)

    assert _rows() == [_carol("list", "Alice", "", "", PATIENTS)]


def test_a_search_writes_the_term_and_the_patients_found(
    carol_client: Client, dose: DoseLog, mia_therapy: Therapy, log_dose: LogDose
) -> None:
    log_dose(mia_therapy, new_york(2026, 11, 18, 8, 0))

    carol_client.get(DOSES, {"q": "alice"}, REMOTE_ADDR=ADDRESS)
    carol_client.get(DOSES, {"q": "nobody-is-called-this"}, REMOTE_ADDR=ADDRESS)

    assert _rows() == [
        ("carol@example.com", "search", "Alice", "tracking.doselog", "", DOSES, "alice", ADDRESS),
        # Nothing found is written too, with the term.
        (
            "carol@example.com",
            "search",
            None,
            "tracking.doselog",
            "",
            DOSES,
            "nobody-is-called-this",
            ADDRESS,
        ),
    ]


def test_opening_a_record_and_its_history_writes_a_view_each(
    carol_client: Client, dose: DoseLog
) -> None:
    change = f"{DOSES}{dose.pk}/change/"
    history = f"{DOSES}{dose.pk}/history/"
    version = f"{history}{dose.history.get().history_id}/"

    for url in (change, history, version):
        assert carol_client.get(url, REMOTE_ADDR=ADDRESS).status_code == 200

    assert _rows() == [
        _carol("view", "Alice", "tracking.doselog", dose.pk, change),
        _carol("view", "Alice", "tracking.doselog", dose.pk, history),
        _carol("view", "Alice", "tracking.doselog", dose.pk, version),
    ]


def test_a_reminders_history_writes_a_view(
    carol_client: Client, alice: User, alice_patient: Patient
) -> None:
    reminder = ReminderDelivery.objects.create(
        patient=alice_patient,
        account=alice,
        reason=ReminderDelivery.Reason.LAB_SOON,
        due_date=TODAY,
    )
    url = f"/admin/tracking/reminderdelivery/{reminder.pk}/history/"

    assert carol_client.get(url, REMOTE_ADDR=ADDRESS).status_code == 200

    assert _rows() == [_carol("view", "Alice", "tracking.reminderdelivery", reminder.pk, url)]


def test_marking_reviewed_writes_a_change_per_item(
    carol_client: Client, report: SideEffectReport, alice: User, anc_rule: LabRule
) -> None:
    result = new_result(alice, anc_rule, month=1, value=800, taken_on=TODAY, needs_review=True)

    for url, item in ((REPORTS, report), ("/admin/tracking/labresult/", result)):
        carol_client.post(
            url,
            {"action": "mark_reviewed", helpers.ACTION_CHECKBOX_NAME: [item.pk]},
            REMOTE_ADDR=ADDRESS,
        )

    assert _rows() == [
        _carol("change", "Alice", "tracking.sideeffectreport", report.pk, REPORTS),
        _carol("change", "Alice", "tracking.labresult", result.pk, "/admin/tracking/labresult/"),
    ]
    assert LabResult.objects.get().reviewed_at == NOW


def test_an_export_writes_one_row_per_patient(
    carol_client: Client, dose: DoseLog, mia_therapy: Therapy, log_dose: LogDose
) -> None:
    mias = log_dose(mia_therapy, new_york(2026, 11, 18, 8, 0))

    response = carol_client.post(
        DOSES,
        {"action": "download_csv", helpers.ACTION_CHECKBOX_NAME: [dose.pk, mias.pk]},
        REMOTE_ADDR=ADDRESS,
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("patient,date,scheduled time,when (patient's time)")
    assert lines[1].startswith('Alice,2026-11-18,08:00,"18 Nov 2026, 8:05 AM EST",')
    assert _rows() == [
        _carol("export", "Alice", "tracking.doselog", "", DOSES),
        _carol("export", "Mia", "tracking.doselog", "", DOSES),
    ]


def test_a_saved_change_writes_a_change(root_client: Client, alice_patient: Patient) -> None:
    url = f"{PATIENTS}{alice_patient.pk}/change/"
    data = form_data(root_client.get(url), "patient_form")
    data.update({"name": ["Alicia"], "_save": ["Save"]})

    response = root_client.post(url, data, REMOTE_ADDR=ADDRESS)

    assert response.status_code == 302
    assert _rows() == [
        ("root@example.com", "view", "Alicia", "", "", url, "", "127.0.0.1"),
        ("root@example.com", "change", "Alicia", "", "", url, "", ADDRESS),
    ]


def test_pages_without_patient_data_write_nothing(
    erin_client: Client, carol_client: Client, anakinra: Medicine
) -> None:
    erin_client.get("/admin/monographs/medicine/")
    erin_client.get(f"/admin/monographs/medicine/{anakinra.pk}/change/")
    carol_client.get("/admin/")

    assert _rows() == []


# --- the list pages stay cheap ------------------------------------------------------------------


@pytest.mark.parametrize("url", [PATIENTS, DOSES])
def test_queries_per_list_page_do_not_grow_with_the_rows_shown(
    carol_client: Client,
    alice_therapy: Therapy,
    make_therapy: MakeTherapy,
    make_bulk_doses: BulkDoses,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    url: str,
) -> None:
    make_bulk_doses(alice_therapy, 2)
    with CaptureQueriesContext(connection) as one_patient:
        assert carol_client.get(url).status_code == 200
    north = CareTeam.objects.get(name=NORTH_CLINIC)
    for number in range(30):
        patient = Patient.objects.create(name=f"Patient {number:02}")
        patient.care_teams.add(north)
        make_bulk_doses(make_therapy(patient), 2)

    # The session, the staff member and their second factor, the page's count and rows
    # (with their patients and sites), one INSERT into the log: as many for 31 patients.
    with (
        django_assert_max_num_queries(len(one_patient)),
        CaptureQueriesContext(connection) as many,
    ):
        response = carol_client.get(url)

    assert len({row.pk for row in response.context["cl"].result_list}) > 30
    logged = [q["sql"] for q in many.captured_queries if "portal_staffaccess" in q["sql"]]
    assert len(logged) == 1
    assert logged[0].startswith("INSERT")
    assert StaffAccess.objects.filter(action="list").count() == 1 + 31


# --- append-only ------------------------------------------------------------------------------


@pytest.fixture
def logged(carol_client: Client, dose: DoseLog) -> StaffAccess:
    carol_client.get(f"{DOSES}{dose.pk}/change/")
    return StaffAccess.objects.get()


def test_the_orm_refuses_to_change_or_delete_a_row(logged: StaffAccess) -> None:
    logged.search = "edited"
    with pytest.raises(PermissionDenied):
        logged.save()
    with pytest.raises(PermissionDenied):
        logged.delete()
    with pytest.raises(PermissionDenied):
        StaffAccess.objects.filter(pk=logged.pk).update(search="edited")
    with pytest.raises(PermissionDenied):
        StaffAccess.objects.filter(pk=logged.pk).delete()

    assert StaffAccess.objects.get().search == ""


def test_the_database_refuses_an_update_in_raw_sql(logged: StaffAccess) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE portal_staffaccess SET search = 'edited'")

    assert StaffAccess.objects.get().search == ""


def test_postgresql_refuses_a_delete_in_raw_sql_too(logged: StaffAccess) -> None:
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM portal_staffaccess")
        assert StaffAccess.objects.count() == 1
    else:
        # SQLite runs only development and tests, where a flush must empty the log.
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM portal_staffaccess")
        assert StaffAccess.objects.count() == 0


def test_no_one_edits_the_log_in_admin(root_client: Client, logged: StaffAccess) -> None:
    url = f"/admin/portal/staffaccess/{logged.pk}/"
    listing = root_client.get("/admin/portal/staffaccess/")
    detail = root_client.get(f"{url}change/")

    assert listing.status_code == 200
    assert select(listing, '[name="action"]') == []  # no actions, so no bulk delete
    assert select(listing, 'a[href="/admin/portal/staffaccess/add/"]') == []
    assert detail.status_code == 200
    assert select(detail, "form#staffaccess_form")
    assert select(detail, '[name="_save"]') == []
    assert (
        select(detail, "form#staffaccess_form :is(input:not([type=hidden]), select, textarea)")
        == []
    )
    assert root_client.post(f"{url}change/", {"search": "edited"}).status_code == 403
    assert root_client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    assert root_client.get("/admin/portal/staffaccess/add/").status_code == 403
    assert StaffAccess.objects.filter(search="edited").count() == 0
    assert StaffAccess.objects.count() == 1  # reading the log is not itself logged


def test_only_superusers_read_the_log(
    carol_client: Client, erin_client: Client, logged: StaffAccess
) -> None:
    for client in (carol_client, erin_client):
        assert client.get("/admin/portal/staffaccess/").status_code == 403
        assert client.get(f"/admin/portal/staffaccess/{logged.pk}/change/").status_code == 403


def test_the_log_filters_by_staff_action_and_day_and_finds_a_patient(
    root_client: Client, carol: User, logged: StaffAccess, mia: Patient
) -> None:
    StaffAccess.objects.create(
        staff=carol,
        action="list",
        patient=mia,
        path=PATIENTS,
        at=NOW - datetime.timedelta(days=10),
    )

    def listed(**params: str) -> list[str]:
        response = root_client.get("/admin/portal/staffaccess/", params)
        assert response.status_code == 200
        return [row.patient.name for row in response.context["cl"].result_list]

    assert listed() == ["Alice", "Mia"]
    assert listed(staff__id__exact=str(carol.pk)) == ["Alice", "Mia"]
    assert listed(action__exact="view") == ["Alice"]
    # The filter's own "Today" link.
    today = datetime.datetime.combine(TODAY, datetime.time(), tzinfo=datetime.UTC)
    assert listed(at__gte=str(today), at__lt=str(today + datetime.timedelta(days=1))) == ["Alice"]
    assert listed(q="Mia") == ["Mia"]
    page = root_client.get("/admin/portal/staffaccess/")
    assert "18 Nov 2026, 3:00 PM UTC" in page.content.decode()
