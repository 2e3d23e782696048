"""/doses/export.csv: the patient's own log as a spreadsheet, safe to open."""

from __future__ import annotations

import csv
import io

import pytest
from django.http.response import HttpResponseBase
from django.test import Client

from monographs.models import InjectionSite
from portal.models import User
from tests.world import BulkDoses, LogDose, end_access, new_york
from tracking.models import Patient, Therapy

URL = "/doses/export.csv"
Area = InjectionSite.BodyArea
HEADER = [
    "date",
    "scheduled time",
    "time taken",
    "medicine",
    "status",
    "dose_mg",
    "site",
    "skip_reason",
    "note",
    "logged by",
]
ANAKINRA = "Anakinra (Kineret)"


def _export_of(patient: Patient) -> str:
    return f"/p/{patient.uuid}/doses/export.csv"


def _rows(response: HttpResponseBase) -> list[list[str]]:
    assert response.status_code == 200
    assert response.streaming
    body = response.getvalue().decode("utf-8")  # the streamed chunks, joined
    return list(csv.reader(io.StringIO(body, newline="")))


def _column(rows: list[list[str]], name: str) -> list[str]:
    return [row[HEADER.index(name)] for row in rows[1:]]


def test_export_lists_the_log_oldest_first_in_the_patients_time(
    alice_client: Client,
    alice_therapy: Therapy,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 7, 5), site=sites[Area.RIGHT_THIGH])
    log_dose(alice_therapy, new_york(2026, 11, 16, 9), status="skipped", skip_reason="Flu")
    # 23:30 in New York, already the next day in UTC: still the 17th here, in the 8:00 slot.
    log_dose(
        alice_therapy,
        new_york(2026, 11, 17, 23, 30),
        dose_mg="50.5",
        site=sites[Area.LEFT_ABDOMEN],
        note="late, 2 doses left",
    )

    response = alice_client.get(URL)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="dose-log.csv"'
    assert _rows(response) == [
        HEADER,
        ["2026-11-16", "08:00", "09:00", ANAKINRA, "skipped", "", "", "Flu", "", "Alice"],
        [
            "2026-11-17",
            "08:00",
            "23:30",
            ANAKINRA,
            "taken",
            "50.5",
            "Left side of lower belly",
            "",
            "late, 2 doses left",
            "Alice",
        ],
        [
            "2026-11-18",
            "08:00",
            "07:05",
            ANAKINRA,
            "taken",
            "100",
            "Front of right thigh",
            "",
            "",
            "Alice",
        ],
    ]


def test_export_names_each_slot_medicine_and_who_logged_it(
    sam_client: Client,
    sam: User,
    una: User,
    mia: Patient,
    mia_therapy: Therapy,
    log_dose: LogDose,
) -> None:
    log_dose(mia_therapy, new_york(2026, 11, 17, 8, 10), by=sam)
    log_dose(mia_therapy, new_york(2026, 11, 17, 20, 15), by=una)
    log_dose(mia_therapy, new_york(2026, 11, 18, 8, 5), by=una)

    rows = _rows(sam_client.get(_export_of(mia)))

    assert [
        (row[0], row[1], row[2], row[HEADER.index("dose_mg")], row[-1]) for row in rows[1:]
    ] == [
        ("2026-11-17", "08:00", "08:10", "16", "Sam"),
        ("2026-11-17", "20:00", "20:15", "16", "Una"),
        ("2026-11-18", "08:00", "08:05", "16", "Una"),
    ]


def test_export_of_a_weekly_tablet_and_an_extra_dose(
    alice_client: Client,
    alice_therapy: Therapy,
    alice_pill: Therapy,
    log_dose: LogDose,
) -> None:
    log_dose(alice_pill, new_york(2026, 11, 11, 9, 20))
    # An extra dose, filling no slot of the schedule: the form's "extra dose".
    extra = log_dose(alice_therapy, new_york(2026, 11, 12, 14), dose_mg="50")
    extra.slot_time = None
    extra.save(update_fields=["slot_time"])

    rows = _rows(alice_client.get(URL))

    assert rows[1:] == [
        ["2026-11-11", "09:00", "09:20", "Weeklyzumab", "taken", "15", "", "", "", "Alice"],
        [
            "2026-11-12",
            "",
            "14:00",
            ANAKINRA,
            "taken",
            "50",
            "Front of left thigh",
            "",
            "",
            "Alice",
        ],
    ]


@pytest.mark.parametrize(
    ("typed", "exported"),
    [
        (
            '=HYPERLINK("https://evil.example","click")',
            '\'=HYPERLINK("https://evil.example","click")',
        ),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("felt fine = good", "felt fine = good"),
    ],
    ids=["equals", "plus", "minus", "at", "tab", "carriage return", "plain text"],
)
def test_export_neutralises_cells_a_spreadsheet_would_run(
    alice_client: Client,
    alice: User,
    alice_therapy: Therapy,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
    typed: str,
    exported: str,
) -> None:
    # What a person types (note, reason, their own name) and what a clinician enters
    # (a site's name) all reach the spreadsheet.
    site = sites[Area.RIGHT_THIGH]
    InjectionSite.objects.filter(pk=site.pk).update(name=typed)
    alice.display_name = typed
    alice.save(update_fields=["display_name"])
    log_dose(alice_therapy, new_york(2026, 11, 17, 8), note=typed, site=site)
    log_dose(alice_therapy, new_york(2026, 11, 16, 8), status="skipped", skip_reason=typed)

    rows = _rows(alice_client.get(URL))

    assert _column(rows, "skip_reason") == [exported, ""]
    assert _column(rows, "note") == ["", exported]
    assert _column(rows, "site") == ["", exported]
    assert _column(rows, "logged by") == [exported, exported]


def test_export_has_only_the_patients_own_rows(
    bob_client: Client, alice_therapy: Therapy, bob_therapy: Therapy, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 17, 8), note="alice only")
    log_dose(bob_therapy, new_york(2026, 11, 16, 9), note="bob's")

    rows = _rows(bob_client.get(URL))

    assert _column(rows, "note") == ["bob's"]


def test_a_parent_exports_each_childs_log_on_its_own_address(
    sam_client: Client,
    mia: Patient,
    leo: Patient,
    mia_therapy: Therapy,
    leo_therapy: Therapy,
    log_dose: LogDose,
) -> None:
    log_dose(mia_therapy, new_york(2026, 11, 17, 8), note="mia's")
    log_dose(leo_therapy, new_york(2026, 11, 17, 7, 30), note="leo's")

    assert _column(_rows(sam_client.get(_export_of(mia))), "note") == ["mia's"]
    assert _column(_rows(sam_client.get(_export_of(leo))), "note") == ["leo's"]


def test_export_of_an_empty_log_is_just_the_header(
    alice_client: Client, alice_therapy: Therapy
) -> None:
    assert _rows(alice_client.get(URL)) == [HEADER]


def test_export_streams_a_long_log(
    alice_client: Client, alice_therapy: Therapy, make_bulk_doses: BulkDoses
) -> None:
    make_bulk_doses(alice_therapy, 1200)

    rows = _rows(alice_client.get(URL))

    assert len(rows) == 1201
    dates = [row[0] for row in rows[1:]]
    assert dates == sorted(dates)
    assert len(set(dates)) == 1200


# --- who may download whose log ----------------------------------------------------------


def test_another_patients_export_is_404(
    bob_client: Client,
    alice_patient: Patient,
    alice_therapy: Therapy,
    bob_therapy: Therapy,
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 17, 8), note="alice only")

    response = bob_client.get(_export_of(alice_patient))

    assert response.status_code == 404
    assert b"alice only" not in response.content


def test_another_familys_child_export_is_404(
    alice_client: Client, alice_therapy: Therapy, mia: Patient, mia_therapy: Therapy
) -> None:
    assert alice_client.get(_export_of(mia)).status_code == 404


def test_a_caregiver_whose_access_ended_gets_404_for_the_childs_export(
    una_client: Client, una: User, mia: Patient, mia_therapy: Therapy, log_dose: LogDose
) -> None:
    log_dose(mia_therapy, new_york(2026, 11, 17, 8), note="mia's")
    assert _column(_rows(una_client.get(_export_of(mia))), "note") == ["mia's"]
    end_access(una, mia)

    assert una_client.get(_export_of(mia)).status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_export_rejects_other_methods(
    alice_client: Client, alice_therapy: Therapy, method: str
) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


def test_export_sends_anonymous_visitors_to_sign_in(client: Client, db: None) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/doses/export.csv"
