"""/doses/export.csv: the patient's own log as a spreadsheet, safe to open."""

from __future__ import annotations

import csv
import io

import pytest
from django.http.response import HttpResponseBase
from django.test import Client

from monographs.models import InjectionSite
from tests.world import BulkDoses, LogDose, new_york
from tracking.models import Therapy

URL = "/doses/export.csv"
Area = InjectionSite.BodyArea
HEADER = ["date", "time", "status", "dose_mg", "site", "skip_reason", "note"]


def _rows(response: HttpResponseBase) -> list[list[str]]:
    assert response.streaming
    body = response.getvalue().decode("utf-8")  # the streamed chunks, joined
    return list(csv.reader(io.StringIO(body, newline="")))


def test_export_lists_the_log_oldest_first_in_the_patients_time(
    alice_client: Client,
    alice_therapy: Therapy,
    sites: dict[str, InjectionSite],
    log_dose: LogDose,
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 18, 7, 5), site=sites[Area.RIGHT_THIGH])
    log_dose(alice_therapy, new_york(2026, 11, 16, 9), status="skipped", skip_reason="Flu")
    # 23:30 in New York, already the next day in UTC: still the 17th here.
    log_dose(
        alice_therapy,
        new_york(2026, 11, 17, 23, 30),
        dose_mg="50.5",
        site=sites[Area.LEFT_ABDOMEN],
        note="late, 2 doses left",
    )

    response = alice_client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="dose-log.csv"'
    assert _rows(response) == [
        HEADER,
        ["2026-11-16", "09:00", "skipped", "", "", "Flu", ""],
        [
            "2026-11-17",
            "23:30",
            "taken",
            "50.5",
            "Left side of lower belly",
            "",
            "late, 2 doses left",
        ],
        ["2026-11-18", "07:05", "taken", "100", "Front of right thigh", "", ""],
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
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose, typed: str, exported: str
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 17, 8), note=typed)
    log_dose(alice_therapy, new_york(2026, 11, 16, 8), status="skipped", skip_reason=typed)

    rows = _rows(alice_client.get(URL))

    skipped, taken = rows[1], rows[2]
    assert skipped[HEADER.index("skip_reason")] == exported
    assert taken[HEADER.index("note")] == exported


def test_export_has_only_the_patients_own_rows(
    bob_client: Client, alice_therapy: Therapy, bob_therapy: Therapy, log_dose: LogDose
) -> None:
    log_dose(alice_therapy, new_york(2026, 11, 17, 8), note="alice only")
    log_dose(bob_therapy, new_york(2026, 11, 16, 9), note="bob's")

    rows = _rows(bob_client.get(URL))

    assert [row[HEADER.index("note")] for row in rows[1:]] == ["bob's"]


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


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_export_rejects_other_methods(
    alice_client: Client, alice_therapy: Therapy, method: str
) -> None:
    assert getattr(alice_client, method)(URL).status_code == 405


def test_export_sends_anonymous_visitors_to_sign_in(client: Client, db: None) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/doses/export.csv"
