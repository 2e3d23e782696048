"""/setup/, /therapies/ and /weight/: who the medicines are for, their therapies and
schedules, and the weight a dose by body weight reads.

/setup/ is the first sign-in (or "add a person"): it makes a Patient, the account's
care relationship to them, their first weight and their first therapy in one form.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import Client
from pytest_django import DjangoAssertNumQueries
from pytest_django.asserts import assertContains

from monographs.models import DoseDays, DosingRegimen, Medicine
from portal.models import User
from tests.pages import (
    FormData,
    assert_kept,
    attr,
    field_errors,
    form_data,
    is_login_redirect,
    patient_url,
    section_words,
    select,
    select_one,
    words,
)
from tests.world import (
    ALICE_STARTED,
    DIRA,
    KIDNEY,
    NOMID,
    PASSWORD,
    RA,
    TODAY,
    MakeTherapy,
    new_york,
)
from tracking.models import CareRelationship, Patient, Therapy, Weight

SETUP = "/setup/"
LIST = "/therapies/"
NEW = "/therapies/new/"
WEIGHT = "/weight/"
YESTERDAY = TODAY - datetime.timedelta(days=1)
pytestmark = pytest.mark.usefixtures("clock")


def edit_path(therapy: Therapy) -> str:
    return f"/therapies/{therapy.uuid}/"


def _setup_data(regimen: DosingRegimen, /, **changes: str | list[str]) -> FormData:
    """Alice sets herself up on the regimen: once a day at 07:30 from 2 November."""
    data: FormData = {
        "for_whom": "self",
        "name": "Alice",
        "date_of_birth": "1984-03-07",
        "time_zone": "America/New_York",
        "weight_kg": "",
        "regimen": str(regimen.pk),
        "prescribed_dose": "100",
        "start_date": "2026-11-02",
        "end_date": "",
        "dose_days": regimen.allowed_days()[0].value,
        "first_time": "07:30",
        "second_time": "",
    }
    data.update(changes)
    return data


def _therapy_data(regimen: DosingRegimen, /, **changes: str | list[str]) -> FormData:
    """A therapy as the /therapies/ forms post it: once a day at 09:00 from today."""
    data: FormData = {
        "regimen": str(regimen.pk),
        "prescribed_dose": "100",
        "start_date": TODAY.isoformat(),
        "end_date": "",
        "dose_days": regimen.allowed_days()[0].value,
        "first_time": "09:00",
        "second_time": "",
    }
    data.update(changes)
    return data


def _rows() -> tuple[int, int, int, int]:
    """How many patients, care relationships, weights and therapies there are."""
    return (
        Patient.objects.count(),
        CareRelationship.objects.count(),
        Weight.objects.count(),
        Therapy.objects.count(),
    )


@pytest.fixture
def weekly_regimen(weekly_pill: Medicine) -> DosingRegimen:
    """weeklyzumab's one regimen: 15 mg once a week."""
    return weekly_pill.regimens.get()


@pytest.fixture
def ended_therapy(alice_therapy: Therapy, make_therapy: MakeTherapy) -> Therapy:
    """Before her RA regimen, alice was on anakinra every other day: 10 Aug to 29 Sep."""
    therapy = make_therapy(
        alice_therapy.patient, KIDNEY, start_date=ALICE_STARTED - datetime.timedelta(days=60)
    )
    therapy.end_date = ALICE_STARTED - datetime.timedelta(days=10)
    therapy.save()
    return therapy


# --- an account with no patient is asked to set one up ------------------------------------


def test_first_sign_in_without_a_patient_lands_on_the_setup_page(
    client: Client, alice: User, anakinra: Medicine
) -> None:
    response = client.post(
        "/accounts/login/", {"username": "alice@example.com", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [("/", 302), (SETUP, 302)]
    assert response.status_code == 200
    assertContains(response, "<h1>Set up the portal</h1>", html=True)


@pytest.mark.parametrize(
    "url", ["/", "/doses/", "/doses/new/", "/doses/export.csv", LIST, NEW, WEIGHT]
)
def test_patient_pages_send_an_account_without_a_patient_to_set_one_up(
    alice_client: Client, anakinra: Medicine, url: str
) -> None:
    response = alice_client.get(url)

    assert response.status_code == 302
    assert response["Location"] == SETUP


@pytest.mark.parametrize("url", ["/", "/doses/", "/doses/new/"])
def test_htmx_requests_without_a_patient_get_a_client_redirect(
    alice_client: Client, anakinra: Medicine, url: str
) -> None:
    response = alice_client.get(url, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == SETUP
    assert response.content == b""


def test_quick_log_without_a_patient_saves_nothing(
    alice_client: Client, anakinra: Medicine
) -> None:
    response = alice_client.post("/doses/quick/", {"submission_id": "x"}, HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"] == SETUP
    assert _rows() == (0, 0, 0, 0)


def test_a_caregiver_whose_access_ended_is_asked_to_set_up_and_sees_nothing_of_the_child(
    client: Client, una_ended: User, mia: Patient, mia_therapy: Therapy
) -> None:
    client.force_login(una_ended)

    assert client.get("/")["Location"] == SETUP
    assert client.get(patient_url(mia, "/")).status_code == 404
    page = words(client.get(SETUP))
    assert "Set up the portal" in page
    assert "Mia" not in page


# --- the set-up page -----------------------------------------------------------------------


def test_setup_page_offers_each_published_regimen_by_medicine(
    alice_client: Client, regimens: dict[str, DosingRegimen], weekly_regimen: DosingRegimen
) -> None:
    draft = Medicine.objects.create(
        slug="draftumab", generic_name="draftumab", status=Medicine.Status.DRAFT
    )
    unpublished = DosingRegimen.objects.create(
        medicine=draft,
        indication="Something new",
        usual_dose_low=Decimal(1),
        usual_dose_high=Decimal(1),
        max_daily=Decimal(1),
    )

    response = alice_client.get(SETUP)

    assert response.status_code == 200
    offered = {
        attr(option, "value"): words(option)
        for option in select(response, 'select[name="regimen"] option')
    }
    for regimen in [*regimens.values(), weekly_regimen]:
        assert str(regimen.pk) in offered
    assert str(unpublished.pk) not in offered
    assert offered[str(regimens[RA].pk)] == (
        "Anakinra (Kineret): Rheumatoid arthritis (RA), 100 mg (once a day, at most 100 mg a day)"
    )
    assert offered[str(regimens[NOMID].pk)] == (
        "Anakinra (Kineret): NOMID, 1–2 mg/kg "
        "(once a day, or split into two doses, at most 8 mg/kg a day)"
    )
    assert offered[str(weekly_regimen.pk)].startswith("Weeklyzumab: Rheumatoid arthritis (RA)")


def test_the_time_zone_list_puts_us_zones_first_under_plain_names(alice_client: Client) -> None:
    response = alice_client.get(SETUP)

    zone = select_one(response, 'select[name="time_zone"]')
    groups = zone.select("optgroup")
    assert [attr(group, "label") for group in groups] == ["United States", "Everywhere else"]
    us = [(attr(option, "value"), words(option)) for option in groups[0].select("option")]
    assert us[:3] == [
        ("America/New_York", "Eastern time (New York)"),
        ("America/Chicago", "Central time (Chicago)"),
        ("America/Denver", "Mountain time (Denver)"),
    ]
    assert ("America/Los_Angeles", "Pacific time (Los Angeles)") in us
    assert ("Pacific/Honolulu", "Hawaii time (Honolulu)") in us
    others = [(attr(option, "value"), words(option)) for option in groups[1].select("option")]
    assert ("Europe/London", "Europe: London") in others
    assert ("Asia/Tokyo", "Asia: Tokyo") in others
    # Each zone once: the US ones are not listed again among the others.
    values = [attr(option, "value") for option in zone.select("option")]
    assert len(values) == len(set(values))


def test_the_time_zone_starts_unchosen_for_the_browser_script_to_fill_in(
    alice_client: Client,
) -> None:
    response = alice_client.get(SETUP)

    zone = select_one(response, 'select[name="time_zone"]')
    # Without JavaScript the list asks for a choice: no zone is preselected for the person.
    chosen = [option for option in zone.select("option") if option.has_attr("selected")]
    assert [(attr(option, "value"), words(option)) for option in chosen] == [("", "Choose…")]
    # With it, the static script picks the browser's zone for a list marked like this one.
    assert zone.has_attr("data-browser-zone")
    scripts = select(response, "script")
    assert all(script.has_attr("src") for script in scripts)  # no inline script
    assert "/static/js/portal.js" in [attr(script, "src") for script in scripts]
    script = finders.find("js/portal.js")
    assert isinstance(script, str)
    with open(script, encoding="utf-8") as source:  # noqa: PTH123
        assert "select[data-browser-zone]" in source.read()


def test_setup_without_a_time_zone_asks_for_one_and_saves_nothing(
    alice_client: Client, regimens: dict[str, DosingRegimen]
) -> None:
    data = _setup_data(regimens[RA], time_zone="")

    response = alice_client.post(SETUP, data)

    assert response.status_code == 200
    assert field_errors(response, "time_zone") == ["This field is required."]
    assert_kept(response, "setup-form", data)
    assert _rows() == (0, 0, 0, 0)


# --- setting up ------------------------------------------------------------------------------


def test_setting_up_myself_makes_my_patient_record_and_my_therapy(
    alice_client: Client, alice: User, anakinra: Medicine, regimens: dict[str, DosingRegimen]
) -> None:
    response = alice_client.post(SETUP, _setup_data(regimens[RA]))

    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == patient_url(patient, "/")
    assert (patient.name, patient.date_of_birth, patient.time_zone) == (
        "Alice",
        datetime.date(1984, 3, 7),
        "America/New_York",
    )
    care = CareRelationship.objects.get()
    assert (care.patient, care.account, care.role, care.ended_at) == (
        patient,
        alice,
        CareRelationship.Role.SELF,
        None,
    )
    assert Weight.objects.count() == 0  # none given, none needed
    therapy = Therapy.objects.get()
    assert therapy.patient == patient
    assert therapy.medicine == anakinra  # follows from the regimen
    assert therapy.regimen == regimens[RA]
    assert therapy.prescribed_dose == Decimal("100")
    assert therapy.start_date == datetime.date(2026, 11, 2)
    assert therapy.end_date is None
    assert (therapy.dose_times, therapy.dose_days, therapy.weekdays) == (
        ["07:30"],
        DoseDays.DAILY,
        [],
    )
    page = alice_client.get(response["Location"])
    assert page.status_code == 200
    assert "Your medicine is set up." in words(page)
    # The short address now shows her too.
    assert alice_client.get("/").status_code == 200


def test_setting_up_my_child_makes_a_patient_i_am_guardian_of_with_a_weight(
    client: Client, sam: User, regimens: dict[str, DosingRegimen]
) -> None:
    client.force_login(sam)
    data = _setup_data(
        regimens[NOMID],
        for_whom="guardian",
        name="Ava",
        date_of_birth="2021-06-01",
        time_zone="America/Chicago",
        weight_kg="16",
        prescribed_dose="1",
        first_time="08:00",
        second_time="20:00",
        someone_else_injects="on",
    )

    response = client.post(SETUP, data)

    ava = Patient.objects.get()
    assert response["Location"] == patient_url(ava, "/")
    assert (ava.name, ava.date_of_birth, ava.time_zone) == (
        "Ava",
        datetime.date(2021, 6, 1),
        "America/Chicago",
    )
    care = CareRelationship.objects.get()
    assert (care.patient, care.account, care.role) == (ava, sam, CareRelationship.Role.GUARDIAN)
    weight = Weight.objects.get()
    assert (weight.patient, weight.measured_on, weight.weight_kg, weight.entered_by) == (
        ava,
        TODAY,
        Decimal("16.0"),
        sam,
    )
    therapy = Therapy.objects.get()
    assert therapy.patient == ava
    assert therapy.dose_times == ["08:00", "20:00"]  # NOMID may be split in two
    assert therapy.someone_else_injects is True
    assert therapy.dose_mg == Decimal("16.00")  # 1 mg/kg at 16 kg
    assert therapy.max_daily_mg_on(TODAY) == Decimal("128.00")
    page = words(client.get(response["Location"]))
    assert "Ava’s medicine is set up." in page


def test_a_parent_adds_a_second_child(
    sam_client: Client,
    sam: User,
    mia: Patient,
    mia_therapy: Therapy,
    regimens: dict[str, DosingRegimen],
) -> None:
    page = sam_client.get(SETUP)
    assertContains(page, "<h1>Add a person</h1>", html=True)

    response = sam_client.post(
        SETUP,
        _setup_data(
            regimens[DIRA], for_whom="guardian", name="Ava", weight_kg="12", prescribed_dose="1"
        ),
    )

    ava = Patient.objects.get(name="Ava")
    assert response["Location"] == patient_url(ava, "/")
    assert sorted(Patient.objects.for_account(sam).values_list("name", flat=True)) == [
        "Ava",
        "Mia",
    ]
    assert list(Therapy.objects.filter(patient=mia)) == [mia_therapy]


def test_an_account_already_set_up_as_itself_is_offered_someone_else(
    alice_client: Client, alice_patient: Patient
) -> None:
    page = alice_client.get(SETUP)

    assertContains(page, "<h1>Add a person</h1>", html=True)
    [chosen] = [
        radio for radio in select(page, 'input[name="for_whom"]') if radio.has_attr("checked")
    ]
    assert attr(chosen, "value") == "guardian"


def test_an_account_cannot_set_itself_up_twice(
    alice_client: Client, alice_patient: Patient, regimens: dict[str, DosingRegimen]
) -> None:
    before = _rows()
    data = _setup_data(regimens[RA])

    response = alice_client.post(SETUP, data)

    assert response.status_code == 200
    [message] = field_errors(response, "for_whom")
    assert message.startswith("You are already set up as yourself.")
    assert_kept(response, "setup-form", data)
    assert _rows() == before


# --- the schedules a regimen allows --------------------------------------------------------


@pytest.mark.parametrize(
    ("indication", "changes", "field", "message"),
    [
        (
            RA,
            {"second_time": "20:00"},
            "second_time",
            "This regimen is taken once a day: enter one time.",
        ),
        (
            NOMID,
            {
                "prescribed_dose": "1",
                "weight_kg": "16",
                "first_time": "08:00",
                "second_time": "08:00",
            },
            "second_time",
            "Enter each time of day once, like 08:00.",
        ),
        (RA, {"dose_days": "every_other_day"}, "dose_days", "This regimen is taken every day."),
        (
            KIDNEY,
            {"dose_days": "daily"},
            "dose_days",
            "This regimen is taken every other day, counting from the start date.",
        ),
        (
            "weekly",
            {"dose_days": "daily"},
            "dose_days",
            "This regimen is taken on chosen days of the week.",
        ),
        ("weekly", {}, "weekdays", "Choose the days of the week."),
        ("weekly", {"weekdays": ["0", "3"]}, "weekdays", "Choose 1 day of the week."),
        (RA, {"first_time": ""}, "first_time", "This field is required."),
        (RA, {"first_time": "25:00"}, "first_time", "Enter a valid time."),
    ],
    ids=[
        "once a day, two times",
        "the same time twice",
        "daily regimen, every other day",
        "every-other-day regimen, daily",
        "weekly regimen, daily",
        "weekly regimen, no weekday",
        "weekly regimen, two weekdays",
        "no time",
        "no such time",
    ],
)
def test_setup_refuses_a_schedule_the_regimen_does_not_allow(
    alice_client: Client,
    regimens: dict[str, DosingRegimen],
    weekly_regimen: DosingRegimen,
    indication: str,
    changes: dict[str, str | list[str]],
    field: str,
    message: str,
) -> None:
    regimen = weekly_regimen if indication == "weekly" else regimens[indication]
    dose = {"prescribed_dose": "15"} if indication == "weekly" else {}
    data = _setup_data(regimen, **{**dose, **changes})

    response = alice_client.post(SETUP, data)

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert_kept(response, "setup-form", data)
    assert _rows() == (0, 0, 0, 0)


def test_a_weekly_regimen_is_set_up_on_its_one_weekday(
    alice_client: Client, weekly_pill: Medicine, weekly_regimen: DosingRegimen
) -> None:
    response = alice_client.post(
        SETUP, _setup_data(weekly_regimen, prescribed_dose="15", weekdays=["0"])
    )

    assert response.status_code == 302
    therapy = Therapy.objects.get()
    assert therapy.medicine == weekly_pill
    assert (therapy.dose_days, therapy.weekdays) == (DoseDays.WEEKDAYS, [0])
    assert therapy.schedule_text == "7:30 AM on Mondays"
    assert [therapy.is_dose_day(datetime.date(2026, 11, day)) for day in (16, 17, 23)] == [
        True,
        False,
        True,
    ]


def test_an_every_other_day_regimen_counts_from_the_start_date(
    alice_client: Client, regimens: dict[str, DosingRegimen]
) -> None:
    response = alice_client.post(SETUP, _setup_data(regimens[KIDNEY], start_date="2026-11-16"))

    assert response.status_code == 302
    therapy = Therapy.objects.get()
    assert therapy.dose_days == DoseDays.EVERY_OTHER_DAY
    assert [therapy.is_dose_day(datetime.date(2026, 11, day)) for day in (16, 17, 18, 19)] == [
        True,
        False,
        True,
        False,
    ]


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indication", "changes", "field", "message"),
    [
        (
            RA,
            {"prescribed_dose": "150"},
            "prescribed_dose",
            "That is more than this regimen allows: at most 100 mg a day. "
            "Check the dose on your prescription.",
        ),
        (
            NOMID,
            {"prescribed_dose": "9", "weight_kg": "20"},
            "prescribed_dose",
            "That is more than this regimen allows: at most 8 mg/kg a day. "
            "Check the dose on your prescription.",
        ),
        (
            NOMID,
            {"prescribed_dose": "2", "weight_kg": "0.4"},
            "weight_kg",
            "Enter a body weight between 0.5 and 350 kg.",
        ),
        (
            NOMID,
            {"prescribed_dose": "2", "weight_kg": "351"},
            "weight_kg",
            "Enter a body weight between 0.5 and 350 kg.",
        ),
        (
            NOMID,
            {"prescribed_dose": "2"},
            "weight_kg",
            "This regimen is dosed by body weight: enter the weight in kg.",
        ),
        (
            RA,
            {"start_date": (TODAY + datetime.timedelta(days=61)).isoformat()},
            "start_date",
            "The start date is too far ahead. Use a date on or before 17 January 2027.",
        ),
        (RA, {"start_date": "2026-02-30"}, "start_date", "Enter a valid date."),
        (RA, {"prescribed_dose": "0"}, "prescribed_dose", "The dose must be more than 0."),
        (
            RA,
            {"date_of_birth": "1850-01-01"},
            "date_of_birth",
            "Enter a date of birth between 1900 and today.",
        ),
        (
            RA,
            {"date_of_birth": (TODAY + datetime.timedelta(days=1)).isoformat()},
            "date_of_birth",
            "Enter a date of birth between 1900 and today.",
        ),
        (RA, {"name": ""}, "name", "This field is required."),
    ],
    ids=[
        "dose above max",
        "per-kg dose above max",
        "weight too low",
        "weight too high",
        "weight missing",
        "start too far ahead",
        "no such start date",
        "dose zero",
        "born in 1850",
        "born tomorrow",
        "no name",
    ],
)
def test_setup_refuses_a_bad_value_keeps_the_input_and_saves_nothing(
    alice_client: Client,
    regimens: dict[str, DosingRegimen],
    indication: str,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    data = _setup_data(regimens[indication], **changes)

    response = alice_client.post(SETUP, data)

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert_kept(response, "setup-form", data)
    assert _rows() == (0, 0, 0, 0)


def test_setup_refuses_a_time_zone_not_in_the_list(
    alice_client: Client, regimens: dict[str, DosingRegimen]
) -> None:
    data = _setup_data(regimens[RA], time_zone="Mars/Olympus_Mons")

    response = alice_client.post(SETUP, data)

    assert response.status_code == 200
    assert field_errors(response, "time_zone") == [
        "Select a valid choice. Mars/Olympus_Mons is not one of the available choices."
    ]
    # A zone the list does not have cannot be shown chosen: the list asks again.
    assert_kept(response, "setup-form", {**data, "time_zone": ""})
    assert _rows() == (0, 0, 0, 0)


def test_setup_accepts_a_start_date_60_days_ahead(
    alice_client: Client, regimens: dict[str, DosingRegimen]
) -> None:
    latest = TODAY + datetime.timedelta(days=60)

    response = alice_client.post(SETUP, _setup_data(regimens[RA], start_date=latest.isoformat()))

    assert response.status_code == 302
    assert Therapy.objects.get().start_date == latest


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_setup_rejects_other_methods(
    alice_client: Client, anakinra: Medicine, method: str
) -> None:
    assert getattr(alice_client, method)(SETUP).status_code == 405


def test_setup_sends_anonymous_visitors_to_sign_in(client: Client, db: None) -> None:
    assert is_login_redirect(client.get(SETUP), SETUP)
    assert is_login_redirect(client.post(SETUP, {}), SETUP)
    assert _rows() == (0, 0, 0, 0)


# --- /therapies/: current and ended ---------------------------------------------------------


def test_the_list_shows_current_and_ended_therapies(
    alice_client: Client, alice_therapy: Therapy, ended_therapy: Therapy
) -> None:
    patient = alice_therapy.patient

    response = alice_client.get(LIST)

    assert response.status_code == 200
    assertContains(response, "<h1>Your medicines</h1>", html=True)
    current = section_words(response, "current-heading")
    assert (
        "Anakinra (Kineret), Rheumatoid arthritis (RA): 100 mg, 8:00 AM, every day. "
        "Since 9 October 2026."
    ) in current
    assert "Severe kidney disease" not in current
    ended = section_words(response, "ended-heading")
    assert (
        "Anakinra (Kineret), Severe kidney disease: 10 August 2026 to 29 September 2026. "
        "Its doses stay in the history."
    ) in ended
    # Links name the patient, so another tab showing someone else stays as it was.
    assert {attr(link, "href") for link in select(response, "main a")} >= {
        patient_url(patient, edit_path(alice_therapy)),
        patient_url(patient, edit_path(ended_therapy)),
        patient_url(patient, NEW),
        patient_url(patient, WEIGHT),
    }
    assert "No weight entered." in section_words(response, "weight-heading")


def test_an_ended_therapy_stays_readable(
    alice_client: Client, alice_therapy: Therapy, ended_therapy: Therapy
) -> None:
    response = alice_client.get(patient_url(alice_therapy.patient, edit_path(ended_therapy)))

    assert response.status_code == 200
    page = words(response)
    assert "Anakinra (Kineret) for Alice" in page
    assert "This medicine ended on 29 September 2026. Its doses stay in the history." in page
    shown = form_data(response, "therapy-form")
    assert shown["regimen"] == [str(ended_therapy.regimen_id)]
    assert shown["start_date"] == ["2026-08-10"]
    assert shown["end_date"] == ["2026-09-29"]
    assert shown["dose_days"] == ["every_other_day"]


def test_a_therapy_that_starts_later_or_ends_today_is_current(
    alice_client: Client, alice_patient: Patient, make_therapy: MakeTherapy, weekly_pill: Medicine
) -> None:
    ends_today = make_therapy(alice_patient, RA, start_date=TODAY - datetime.timedelta(days=5))
    ends_today.end_date = TODAY
    ends_today.save()
    make_therapy(
        alice_patient,
        medicine=weekly_pill,
        regimen=weekly_pill.regimens.get(),
        prescribed_dose="15",
        start_date=TODAY + datetime.timedelta(days=12),
        weekdays=[0],
    )

    response = alice_client.get(LIST)

    current = section_words(response, "current-heading")
    assert "Anakinra (Kineret), Rheumatoid arthritis (RA)" in current
    assert "Weeklyzumab, Rheumatoid arthritis (RA): 15 mg, 8:00 AM on Mondays. " in current
    assert "Starts 30 November 2026." in current
    assert select(response, 'section[aria-labelledby="ended-heading"]') == []


def test_a_parent_sees_the_childs_medicines_and_weight(
    sam_client: Client, mia: Patient, mia_therapy: Therapy, leo_therapy: Therapy
) -> None:
    response = sam_client.get(patient_url(mia, LIST))

    assert response.status_code == 200
    assertContains(response, "<h1>Mia’s medicines</h1>", html=True)
    current = section_words(response, "current-heading")
    assert (
        "Anakinra (Kineret), NOMID: 1 mg/kg (16 mg at today’s weight), "
        "8:00 AM and 8:00 PM, every day."
    ) in current
    assert "DIRA" not in current  # Leo's
    assert "16.0 kg, weighed 9 October 2026." in section_words(response, "weight-heading")
    leos = section_words(sam_client.get(patient_url(leo_therapy.patient, LIST)), "current-heading")
    assert "DIRA: 1 mg/kg (22 mg at today’s weight), 7:30 AM, every day." in leos
    assert "NOMID" not in leos


@pytest.mark.parametrize("extra", [0, 3])
def test_the_list_query_count_does_not_grow_with_the_therapies(
    alice_client: Client,
    alice_therapy: Therapy,
    make_therapy: MakeTherapy,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    extra: int,
) -> None:
    for back in range(extra):
        ended = make_therapy(
            alice_therapy.patient,
            NOMID,
            "1",
            weight_kg="60",
            start_date=ALICE_STARTED - datetime.timedelta(days=30 * (back + 1)),
        )
        ended.end_date = ended.start_date + datetime.timedelta(days=20)
        ended.save()

    # 1 session, 2 user, 3 the account's care relationships with their patients,
    # 4 the therapies with medicine and regimen, 5 their injection sites, 6 their lab
    # rules, 7 the patient's weights.
    with django_assert_max_num_queries(7):
        response = alice_client.get(LIST)

    assert response.status_code == 200
    assert len(select(response, "main li.entry")) == 1 + extra


def test_nobody_else_sees_the_list(
    client: Client,
    bob: User,
    bob_therapy: Therapy,
    alice_therapy: Therapy,
    una_ended: User,
    mia: Patient,
    mia_therapy: Therapy,
) -> None:
    client.force_login(bob)
    assert client.get(patient_url(alice_therapy.patient, LIST)).status_code == 404
    bobs = words(client.get(LIST))
    assert "Since 10 August 2026." in bobs  # his own start date
    assert "Since 9 October 2026." not in bobs  # alice's

    client.force_login(una_ended)
    assert client.get(patient_url(mia, LIST)).status_code == 404
    assert client.get(LIST)["Location"] == SETUP


def test_the_list_sends_anonymous_visitors_to_sign_in_and_answers_only_get(
    client: Client, alice: User, alice_therapy: Therapy
) -> None:
    assert is_login_redirect(client.get(LIST), LIST)
    client.force_login(alice)
    assert client.post(LIST).status_code == 405


# --- /therapies/new/: a second medicine -------------------------------------------------------


def test_alice_adds_a_weekly_tablet_next_to_her_injections(
    alice_client: Client,
    alice: User,
    alice_therapy: Therapy,
    weekly_pill: Medicine,
    weekly_regimen: DosingRegimen,
) -> None:
    patient = alice_therapy.patient
    page = alice_client.get(patient_url(patient, NEW))
    assertContains(page, "<h1>Add a medicine for Alice</h1>", html=True)

    response = alice_client.post(
        patient_url(patient, NEW),
        _therapy_data(weekly_regimen, prescribed_dose="15", dose_days="weekdays", weekdays=["2"]),
    )

    assert response.status_code == 302
    assert response["Location"] == patient_url(patient, LIST)
    tablet = Therapy.objects.exclude(pk=alice_therapy.pk).get()
    assert tablet.patient == patient
    assert (tablet.medicine, tablet.regimen) == (weekly_pill, weekly_regimen)
    assert tablet.prescribed_dose == Decimal("15")
    assert (tablet.dose_times, tablet.dose_days, tablet.weekdays) == (
        ["09:00"],
        DoseDays.WEEKDAYS,
        [2],
    )
    assert tablet.start_date == TODAY
    assert not tablet.is_injected  # no sites to ask about
    assert tablet.history.get().history_user == alice
    # Her injections are as they were, and both are listed.
    alice_therapy.refresh_from_db()
    assert (alice_therapy.prescribed_dose, alice_therapy.dose_times) == (Decimal("100"), ["08:00"])
    listed = alice_client.get(response["Location"])
    assert "The therapy is saved." in words(listed)
    current = section_words(listed, "current-heading")
    assert "Anakinra (Kineret), Rheumatoid arthritis (RA): 100 mg, 8:00 AM, every day." in current
    assert "Weeklyzumab, Rheumatoid arthritis (RA): 15 mg, 9:00 AM on Wednesdays." in current


def test_a_new_dose_by_weight_without_a_weight_asks_for_one_first(
    alice_client: Client, alice_therapy: Therapy, regimens: dict[str, DosingRegimen]
) -> None:
    patient = alice_therapy.patient
    page = alice_client.get(patient_url(patient, NEW))
    assert "No weight is entered for Alice yet." in words(page)
    assert select(page, f'main a[href="{patient_url(patient, WEIGHT)}"]') != []
    data = _therapy_data(regimens[NOMID], prescribed_dose="2")

    response = alice_client.post(patient_url(patient, NEW), data)

    assert response.status_code == 200
    assert field_errors(response, "regimen") == [
        "This regimen is dosed by body weight: enter a weight first, then save the medicine."
    ]
    assert_kept(response, "therapy-form", data)
    assert list(Therapy.objects.all()) == [alice_therapy]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"second_time": "21:00"},
            "second_time",
            "This regimen is taken once a day: enter one time.",
        ),
        (
            {"prescribed_dose": "101"},
            "prescribed_dose",
            "That is more than this regimen allows: at most 100 mg a day. "
            "Check the dose on your prescription.",
        ),
        (
            {"start_date": (TODAY + datetime.timedelta(days=90)).isoformat()},
            "start_date",
            "The start date is too far ahead. Use a date on or before 17 January 2027.",
        ),
    ],
    ids=["two times once a day", "dose above max", "start too far ahead"],
)
def test_a_refused_new_therapy_keeps_the_input_and_saves_nothing(
    alice_client: Client,
    alice_therapy: Therapy,
    regimens: dict[str, DosingRegimen],
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    data = _therapy_data(regimens[RA], **changes)

    response = alice_client.post(patient_url(alice_therapy.patient, NEW), data)

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert_kept(response, "therapy-form", data)
    assert list(Therapy.objects.all()) == [alice_therapy]


def test_nobody_else_adds_a_therapy_for_the_patient(
    client: Client,
    bob: User,
    bob_therapy: Therapy,
    alice_therapy: Therapy,
    una_ended: User,
    mia: Patient,
    mia_therapy: Therapy,
    regimens: dict[str, DosingRegimen],
) -> None:
    data = _therapy_data(regimens[RA])
    client.force_login(bob)
    assert client.get(patient_url(alice_therapy.patient, NEW)).status_code == 404
    assert client.post(patient_url(alice_therapy.patient, NEW), data).status_code == 404

    client.force_login(una_ended)
    assert client.get(patient_url(mia, NEW)).status_code == 404
    assert client.post(patient_url(mia, NEW), data).status_code == 404

    assert Therapy.objects.filter(patient=alice_therapy.patient).count() == 1
    assert Therapy.objects.filter(patient=mia).count() == 1


def test_new_therapy_sends_anonymous_visitors_to_sign_in_and_rejects_other_methods(
    client: Client, alice: User, alice_therapy: Therapy
) -> None:
    assert is_login_redirect(client.get(NEW), NEW)
    assert is_login_redirect(client.post(NEW, {}), NEW)
    client.force_login(alice)
    assert client.put(NEW).status_code == 405
    assert client.delete(NEW).status_code == 405


# --- /therapies/<uuid>/: correcting a therapy ---------------------------------------------------


def test_the_form_shows_the_therapy_and_saves_it_back_unchanged(
    sam_client: Client, mia: Patient, mia_therapy: Therapy
) -> None:
    url = patient_url(mia, edit_path(mia_therapy))
    page = sam_client.get(url)
    assertContains(page, "<h1>Anakinra (Kineret) for Mia</h1>", html=True)
    shown = form_data(page, "therapy-form")
    assert shown["regimen"] == [str(mia_therapy.regimen_id)]
    assert shown["prescribed_dose"] == ["1.00"]
    assert shown["someone_else_injects"] == ["on"]

    response = sam_client.post(url, shown)

    assert response.status_code == 302
    assert response["Location"] == patient_url(mia, LIST)
    mia_therapy.refresh_from_db()
    assert mia_therapy.dose_times == ["08:00", "20:00"]
    assert mia_therapy.prescribed_dose == Decimal("1")


def test_alice_corrects_her_dose_and_time(
    alice_client: Client, alice: User, alice_therapy: Therapy, regimens: dict[str, DosingRegimen]
) -> None:
    response = alice_client.post(
        edit_path(alice_therapy),
        _therapy_data(
            regimens[RA],
            prescribed_dose="50",
            first_time="07:00",
            start_date=alice_therapy.start_date.isoformat(),
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == patient_url(alice_therapy.patient, LIST)
    alice_therapy.refresh_from_db()
    assert alice_therapy.prescribed_dose == Decimal("50")
    assert alice_therapy.dose_times == ["07:00"]
    assert Therapy.objects.count() == 1
    assert alice_therapy.history.count() == 2
    assert alice_therapy.history.first().history_user == alice


def test_a_parent_moves_the_evening_dose_and_a_helper_can_too(
    client: Client,
    sam: User,
    una: User,
    mia: Patient,
    mia_therapy: Therapy,
    regimens: dict[str, DosingRegimen],
) -> None:
    url = patient_url(mia, edit_path(mia_therapy))
    data = _therapy_data(
        regimens[NOMID],
        prescribed_dose="1",
        start_date=mia_therapy.start_date.isoformat(),
        first_time="08:00",
        second_time="19:30",
        someone_else_injects="on",
    )
    client.force_login(sam)

    assert client.post(url, data).status_code == 302

    mia_therapy.refresh_from_db()
    assert mia_therapy.dose_times == ["08:00", "19:30"]
    client.force_login(una)
    assert client.post(url, {**data, "second_time": ""}).status_code == 302
    mia_therapy.refresh_from_db()
    assert mia_therapy.dose_times == ["08:00"]  # NOMID may be once a day too
    assert mia_therapy.history.first().history_user == una


def test_ending_a_therapy_moves_it_to_ended(
    alice_client: Client, alice_therapy: Therapy, regimens: dict[str, DosingRegimen]
) -> None:
    response = alice_client.post(
        edit_path(alice_therapy),
        _therapy_data(
            regimens[RA],
            start_date=alice_therapy.start_date.isoformat(),
            first_time="08:00",
            end_date=YESTERDAY.isoformat(),
        ),
        follow=True,
    )

    alice_therapy.refresh_from_db()
    assert alice_therapy.end_date == YESTERDAY
    assert "No current medicine." in section_words(response, "current-heading")
    assert "9 October 2026 to 17 November 2026" in section_words(response, "ended-heading")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"prescribed_dose": "101"},
            "prescribed_dose",
            "That is more than this regimen allows: at most 100 mg a day. "
            "Check the dose on your prescription.",
        ),
        (
            {"second_time": "20:00"},
            "second_time",
            "This regimen is taken once a day: enter one time.",
        ),
        ({"first_time": "8 o'clock"}, "first_time", "Enter a valid time."),
        (
            {"end_date": "2026-10-01"},
            "end_date",
            "The date of the last dose cannot be before the date of the first.",
        ),
    ],
    ids=["dose above max", "two times once a day", "no such time", "ends before it starts"],
)
def test_a_refused_correction_keeps_the_input_and_leaves_the_therapy_unchanged(
    alice_client: Client,
    alice_therapy: Therapy,
    regimens: dict[str, DosingRegimen],
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    data = _therapy_data(
        regimens[RA],
        **{"start_date": alice_therapy.start_date.isoformat(), "first_time": "07:00", **changes},
    )

    response = alice_client.post(edit_path(alice_therapy), data)

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert_kept(response, "therapy-form", data)
    alice_therapy.refresh_from_db()
    assert (alice_therapy.prescribed_dose, alice_therapy.dose_times, alice_therapy.end_date) == (
        Decimal("100"),
        ["08:00"],
        None,
    )
    assert alice_therapy.history.count() == 1


def test_bob_cannot_open_or_change_alices_therapy(
    bob_client: Client,
    bob_therapy: Therapy,
    alice_therapy: Therapy,
    regimens: dict[str, DosingRegimen],
) -> None:
    data = _therapy_data(regimens[RA], prescribed_dose="50")
    for url in (
        edit_path(alice_therapy),
        patient_url(alice_therapy.patient, edit_path(alice_therapy)),
    ):
        assert bob_client.get(url).status_code == 404, url
        assert bob_client.post(url, data).status_code == 404, url

    alice_therapy.refresh_from_db()
    assert alice_therapy.prescribed_dose == Decimal("100")
    assert alice_therapy.history.count() == 1


def test_a_caregiver_whose_access_ended_cannot_open_or_change_the_therapy(
    client: Client,
    una_ended: User,
    mia: Patient,
    mia_therapy: Therapy,
    regimens: dict[str, DosingRegimen],
) -> None:
    url = patient_url(mia, edit_path(mia_therapy))
    client.force_login(una_ended)

    assert client.get(url).status_code == 404
    assert client.get(edit_path(mia_therapy)).status_code == 404  # she acts for no one now
    assert client.post(url, _therapy_data(regimens[NOMID], prescribed_dose="2")).status_code == 404
    mia_therapy.refresh_from_db()
    assert mia_therapy.prescribed_dose == Decimal("1")


def test_a_therapy_is_found_only_under_its_own_patient(
    sam_client: Client, mia: Patient, leo: Patient, mia_therapy: Therapy, leo_therapy: Therapy
) -> None:
    # Sam acts for both children, but Mia's therapy is not one of Leo's.
    assert sam_client.get(patient_url(leo, edit_path(mia_therapy))).status_code == 404
    assert sam_client.get(patient_url(mia, edit_path(mia_therapy))).status_code == 200
    assert (
        sam_client.get(
            patient_url(mia, "/therapies/00000000-0000-0000-0000-000000000000/")
        ).status_code
        == 404
    )


def test_the_therapy_page_sends_anonymous_visitors_to_sign_in_and_rejects_other_methods(
    client: Client, alice: User, alice_therapy: Therapy
) -> None:
    url = edit_path(alice_therapy)
    assert is_login_redirect(client.get(url), url)
    assert is_login_redirect(client.post(url, {}), url)
    client.force_login(alice)
    assert client.delete(url).status_code == 405
    assert Therapy.objects.filter(pk=alice_therapy.pk).exists()


# --- /weight/ ----------------------------------------------------------------------------


def test_a_parent_records_todays_weight_and_earlier_days_keep_theirs(
    sam_client: Client, sam: User, mia: Patient, mia_therapy: Therapy
) -> None:
    page = sam_client.get(patient_url(mia, WEIGHT))
    assertContains(page, "<h1>Mia’s weight</h1>", html=True)
    assert "Last entered: 16.0 kg on 9 October 2026." in words(page)

    response = sam_client.post(patient_url(mia, WEIGHT), {"weight_kg": "17.5"})

    assert response.status_code == 302
    assert response["Location"] == patient_url(mia, "/")
    assert [(w.measured_on, w.weight_kg) for w in Weight.objects.filter(patient=mia)] == [
        (ALICE_STARTED, Decimal("16.0")),
        (TODAY, Decimal("17.5")),
    ]
    assert Weight.objects.get(patient=mia, measured_on=TODAY).entered_by == sam
    therapy = Therapy.objects.get(pk=mia_therapy.pk)
    assert therapy.dose_mg_on(TODAY) == Decimal("17.50")
    assert therapy.dose_mg_on(YESTERDAY) == Decimal("16.00")
    assert therapy.max_daily_mg_on(YESTERDAY) == Decimal("128.00")
    assert therapy.max_daily_mg_on(TODAY) == Decimal("140.00")
    followed = sam_client.get(response["Location"])
    assert "The weight is saved. Doses by weight use it from today on." in words(followed)


def test_a_second_weight_the_same_day_replaces_the_first(
    client: Client, sam: User, una: User, mia: Patient, mia_therapy: Therapy
) -> None:
    client.force_login(sam)
    client.post(patient_url(mia, WEIGHT), {"weight_kg": "17.5"})
    client.force_login(una)

    client.post(patient_url(mia, WEIGHT), {"weight_kg": "17.2"})

    today = Weight.objects.get(patient=mia, measured_on=TODAY)
    assert (today.weight_kg, today.entered_by) == (Decimal("17.2"), una)
    assert Weight.objects.filter(patient=mia).count() == 2
    assert Therapy.objects.get(pk=mia_therapy.pk).dose_mg == Decimal("17.20")


def test_a_weight_late_in_the_evening_counts_for_the_patients_own_day(
    client: Client, sam: User, mia: Patient, mia_therapy: Therapy, clock: time_machine.Traveller
) -> None:
    # 23:30 in New York: in UTC it is already 19 November. Sam signs in then: a session
    # from the morning would have ended by the evening.
    clock.move_to(new_york(2026, 11, 18, 23, 30))
    client.force_login(sam)

    client.post(patient_url(mia, WEIGHT), {"weight_kg": "17"})

    assert Weight.objects.filter(patient=mia).latest("measured_on").measured_on == TODAY


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0.4", "Enter a body weight between 0.5 and 350 kg."),
        ("351", "Enter a body weight between 0.5 and 350 kg."),
        ("", "This field is required."),
        ("heavy", "Enter a number."),
    ],
    ids=["too low", "too high", "missing", "not a number"],
)
def test_a_bad_weight_keeps_the_input_and_saves_nothing(
    sam_client: Client, mia: Patient, mia_therapy: Therapy, value: str, message: str
) -> None:
    response = sam_client.post(patient_url(mia, WEIGHT), {"weight_kg": value})

    assert response.status_code == 200
    assert field_errors(response, "weight_kg") == [message]
    assert_kept(response, "weight-form", {"weight_kg": value})
    assert Weight.objects.filter(patient=mia).count() == 1


def test_nobody_else_records_a_weight(
    client: Client,
    bob: User,
    bob_therapy: Therapy,
    una_ended: User,
    mia: Patient,
    mia_therapy: Therapy,
) -> None:
    for account in (bob, una_ended):
        client.force_login(account)
        assert client.get(patient_url(mia, WEIGHT)).status_code == 404
        assert client.post(patient_url(mia, WEIGHT), {"weight_kg": "30"}).status_code == 404

    assert Weight.objects.filter(patient=mia).count() == 1
    assert not Weight.objects.filter(weight_kg=Decimal("30")).exists()


def test_the_weight_page_sends_anonymous_visitors_to_sign_in_and_rejects_other_methods(
    client: Client, sam: User, mia_therapy: Therapy
) -> None:
    assert is_login_redirect(client.get(WEIGHT), WEIGHT)
    assert is_login_redirect(client.post(WEIGHT, {"weight_kg": "20"}), WEIGHT)
    client.force_login(sam)
    assert client.put(WEIGHT).status_code == 405
    assert client.delete(WEIGHT).status_code == 405
    assert Weight.objects.count() == 1
