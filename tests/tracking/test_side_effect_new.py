"""/side-effects/new/: the prompt after a dose, and a report at any time.

What matters most: an emergency answer is told to get help at once, above everything
else; urgent answers reach the care team's queue; nothing half-saved.
"""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

import pytest
import time_machine
from bs4 import Tag
from django.test import Client

from monographs.models import Medicine, SideEffect
from portal.models import User
from tests.conftest import patient_of
from tests.pages import attr, is_login_redirect, select, select_one, top_elements, words
from tests.world import (
    NOW,
    TODAY,
    LogDose,
    MakeTherapy,
    Urgency,
    ended_caregiver,
    new_york,
    own_patient,
    prompt_effects,
)
from tracking.models import DoseLog, Patient, SideEffectReport, Therapy

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

URL = "/side-effects/new/"
pytestmark = pytest.mark.usefixtures("alice_therapy")

EMERGENCY_HEADING = "Get emergency help now"
CALL_DOCTOR_HEADING = "Call your doctor or care team today"


def _first(medicine: Medicine, urgency: int) -> SideEffect:
    return prompt_effects(medicine, urgency)[0]


def _tick(*effects: SideEffect, **extra: str) -> dict[str, str]:
    data = {f"effect_{effect.pk}": "on" for effect in effects}
    data.update(extra)
    return data


def _htmx(client: Client, data: dict[str, str]) -> TestResponse:
    return client.post(URL, data, HTTP_HX_REQUEST="true")


def _todays_dose(therapy: Therapy, log_dose: LogDose) -> DoseLog:
    return log_dose(therapy, new_york(2026, 11, 18, 8))


def _pill_therapy(make_therapy: MakeTherapy, weekly_pill: Medicine, patient: Patient) -> Therapy:
    """The weekly pill too, on Wednesdays at 08:00, with a checklist of its own."""
    SideEffect.objects.bulk_create(
        [
            SideEffect(
                medicine=weekly_pill,
                name="Mouth sores",
                urgency=Urgency.CALL_DOCTOR,
                ask_after_dose=True,
            ),
            SideEffect(
                medicine=weekly_pill,
                name="Upset stomach",
                urgency=Urgency.TELL_DOCTOR,
                ask_after_dose=True,
            ),
            SideEffect(medicine=weekly_pill, name="Thinning hair", ask_after_dose=False),
        ]
    )
    return make_therapy(
        patient,
        prescribed_dose="15",
        medicine=weekly_pill,
        regimen=weekly_pill.regimens.get(),
        weekdays=[TODAY.weekday()],
    )


def _asked(response: TestResponse) -> list[str]:
    """The names of the side effects the prompt on the page asks about."""
    return [words(label) for label in select(response, "#side-effect-prompt .check label")]


def _first_before(container: Tag, first: str, then: str) -> bool:
    """Whether the first element matching `first` comes before any matching `then`."""
    [earliest, *_] = container.select(f"{first}, {then}")
    return earliest in container.select(first)


# --- the form ------------------------------------------------------------------------------


def test_form_asks_about_the_prompt_side_effects_grouped_emergency_tier_first(
    alice_client: Client, anakinra: Medicine
) -> None:
    response = alice_client.get(URL)

    assert response.status_code == 200
    form = select_one(response, "#side-effect-prompt form")
    groups = form.select("fieldset.urgency")
    assert [words(select_one(group, "legend")) for group in groups] == [
        Urgency.EMERGENCY.label,
        Urgency.CALL_DOCTOR.label,
        Urgency.TELL_DOCTOR.label,
    ]
    asked = SideEffect.objects.filter(medicine=anakinra, ask_after_dose=True)
    not_asked = SideEffect.objects.filter(medicine=anakinra, ask_after_dose=False)
    assert asked.exists() and not_asked.exists()
    ticked = [attr(box, "name") for box in form.select('input[type="checkbox"]')]
    assert sorted(ticked) == sorted(f"effect_{effect.pk}" for effect in asked)
    # Each tier's items sit under their own heading, in the page's order, each labelled.
    for group, urgency in zip(groups, Urgency, strict=True):
        labels = [words(label) for label in group.select(".check label")]
        assert labels == [effect.name for effect in prompt_effects(anakinra, urgency)]
    assert words(select_one(form, 'button[name="none"]')) == "None of these"
    assert select_one(form, 'textarea[name="other"]')


def test_form_carries_the_dose_it_asks_about(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    dose = _todays_dose(alice_therapy, log_dose)

    response = alice_client.get(URL, {"dose": str(dose.uuid)})

    field = select_one(response, '#side-effect-prompt input[name="dose"]')
    assert (attr(field, "type"), attr(field, "value")) == ("hidden", str(dose.uuid))


def test_htmx_get_returns_only_the_prompt(alice_client: Client) -> None:
    response = alice_client.get(URL, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    [prompt] = top_elements(response)  # the prompt alone, not a whole page
    assert (prompt.name, prompt.get("id")) == ("section", "side-effect-prompt")
    assert words(prompt).startswith("Since your last dose")
    assert "HX-Request" in response["Vary"]


def test_an_account_that_acts_for_no_one_is_sent_to_set_up(
    client: Client, bob: User, anakinra: Medicine
) -> None:
    client.force_login(bob)

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/setup/"


def test_a_patient_without_a_therapy_is_sent_to_add_one(
    client: Client, bob: User, anakinra: Medicine
) -> None:
    bobs = patient_of(bob)
    client.force_login(bob)

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/p/{bobs.uuid}/therapies/new/"


# --- answers ---------------------------------------------------------------------------------


def test_none_of_these_saves_a_none_report_and_shows_thanks(
    alice_client: Client, alice_patient: Patient
) -> None:
    response = alice_client.post(URL, {"none": "1"})

    report = SideEffectReport.objects.get(patient=alice_patient)
    assert response.status_code == 302
    # The report's page names the patient, so another tab cannot show someone else's.
    assert response["Location"] == f"/p/{alice_patient.uuid}/side-effects/{report.uuid}/"
    assert report.none_reported is True
    assert report.urgency is None
    assert report.needs_review is False
    assert report.items.count() == 0
    page = words(alice_client.get(response["Location"]))
    assert "No side effects noted" in page
    assert EMERGENCY_HEADING not in page


def test_emergency_answer_says_get_help_first_and_goes_to_the_care_team(
    alice_client: Client, alice_patient: Patient, anakinra: Medicine
) -> None:
    emergency = _first(anakinra, Urgency.EMERGENCY)
    mild = _first(anakinra, Urgency.TELL_DOCTOR)

    response = alice_client.post(URL, _tick(emergency, mild), follow=True)

    report = SideEffectReport.objects.get(patient=alice_patient)
    assert report.urgency == Urgency.EMERGENCY
    assert report.needs_review is True
    assert {item.side_effect for item in report.items.all()} == {emergency, mild}
    main = select_one(response, "#main")
    # The instruction is the first thing in the page's main content, before the
    # heading and the report, and a screen reader announces it.
    [alert] = main.select('[role="alert"]')
    assert words(alert).startswith(EMERGENCY_HEADING)
    assert _first_before(main, '[role="alert"]', "h1")
    assert words(main).index(EMERGENCY_HEADING) < words(main).index(emergency.name)
    assert words(select_one(alert, 'a[href="tel:911"]')) == "911"
    assert words(select_one(main, 'a[href="tel:1-800-332-1088"]')) == "1-800-FDA-1088"
    medwatch = select_one(main, 'a[href="https://www.fda.gov/medwatch"]')
    assert words(medwatch) == "fda.gov/medwatch"


def test_emergency_answer_by_htmx_puts_the_advice_at_the_top_of_the_page(
    alice_client: Client, alice_patient: Patient, anakinra: Medicine
) -> None:
    emergency = _first(anakinra, Urgency.EMERGENCY)
    call = _first(anakinra, Urgency.CALL_DOCTOR)

    response = _htmx(alice_client, _tick(call, emergency))

    assert response.status_code == 200
    # The checklist is replaced by a short note, and the advice is swapped in
    # out of band as the first thing in <main>.
    [prompt, advice] = top_elements(response)  # not a whole page
    assert (prompt.name, prompt.get("id")) == ("section", "side-effect-prompt")
    assert attr(advice, "hx-swap-oob") == "afterbegin:#main"
    assert "What to do now is at the top of the page" in words(prompt)
    assert prompt.select('[role="alert"]') == []
    [alert] = advice.select('[role="alert"]')
    assert words(alert).startswith(EMERGENCY_HEADING)
    assert alert.select('a[href="tel:911"]')
    assert CALL_DOCTOR_HEADING not in words(response)
    assert "1-800-FDA-1088" in words(advice)
    assert advice.select('a[href="https://www.fda.gov/medwatch"]')
    report = SideEffectReport.objects.get(patient=alice_patient)
    assert report.urgency == Urgency.EMERGENCY
    assert report.needs_review is True


def test_call_your_doctor_answer_says_call_and_goes_to_the_care_team(
    alice_client: Client, alice_patient: Patient, anakinra: Medicine
) -> None:
    call = _first(anakinra, Urgency.CALL_DOCTOR)

    response = _htmx(alice_client, _tick(call))

    [alert] = select(response, '[role="alert"]')
    assert words(alert).startswith(CALL_DOCTOR_HEADING)
    assert EMERGENCY_HEADING not in words(response)
    report = SideEffectReport.objects.get(patient=alice_patient)
    assert report.urgency == Urgency.CALL_DOCTOR
    assert report.needs_review is True


def test_a_mild_common_side_effect_is_saved_without_review_or_alarm(
    alice_client: Client, alice_patient: Patient, anakinra: Medicine
) -> None:
    mild = _first(anakinra, Urgency.TELL_DOCTOR)

    response = _htmx(alice_client, _tick(mild, **{f"severity_{mild.pk}": "mild"}))

    assert select(response, '[role="alert"]') == []
    assert "Tell your doctor if it bothers you" in words(response)
    report = SideEffectReport.objects.get(patient=alice_patient)
    assert report.urgency == Urgency.TELL_DOCTOR
    assert report.needs_review is False
    [item] = report.items.all()
    assert item.side_effect == mild
    assert item.severity == "mild"


def test_a_severe_side_effect_goes_to_the_care_team_even_in_the_mildest_tier(
    alice_client: Client, alice_patient: Patient, anakinra: Medicine
) -> None:
    mild = _first(anakinra, Urgency.TELL_DOCTOR)

    response = _htmx(alice_client, _tick(mild, **{f"severity_{mild.pk}": "severe"}))

    assert "Your care team will look at it" in words(response)
    report = SideEffectReport.objects.get(patient=alice_patient)
    assert report.needs_review is True
    assert report.items.get().severity == "severe"


def test_something_else_in_own_words_goes_to_the_care_team(
    alice_client: Client, alice_patient: Patient
) -> None:
    alice_client.post(URL, {"other": "  A rash on my back  "})

    report = SideEffectReport.objects.get(patient=alice_patient)
    assert report.other == "A rash on my back"
    assert report.urgency is None
    assert report.needs_review is True
    assert report.none_reported is False


def test_severity_and_start_date_are_kept_per_item(
    alice_client: Client, alice_patient: Patient, anakinra: Medicine
) -> None:
    headache, nausea = prompt_effects(anakinra, Urgency.TELL_DOCTOR)[1:3]
    data = _tick(
        headache,
        nausea,
        **{
            f"severity_{headache.pk}": "moderate",
            f"started_{headache.pk}": "2026-11-16",
            f"started_{nausea.pk}": "2026-11-18",
        },
    )

    alice_client.post(URL, data)

    report = SideEffectReport.objects.get(patient=alice_patient)
    items = {item.side_effect: item for item in report.items.all()}
    assert items[headache].severity == "moderate"
    assert items[headache].started_on == datetime.date(2026, 11, 16)
    assert items[nausea].severity == ""
    assert items[nausea].started_on == TODAY


def test_the_answer_is_linked_to_the_patients_own_dose(
    alice_client: Client, alice_therapy: Therapy, anakinra: Medicine, log_dose: LogDose
) -> None:
    dose = _todays_dose(alice_therapy, log_dose)

    alice_client.post(URL, _tick(_first(anakinra, Urgency.TELL_DOCTOR), dose=str(dose.uuid)))

    assert SideEffectReport.objects.get(patient=alice_therapy.patient).dose == dose


def test_none_of_these_is_linked_to_the_dose_too(
    alice_client: Client, alice_therapy: Therapy, log_dose: LogDose
) -> None:
    dose = _todays_dose(alice_therapy, log_dose)

    alice_client.post(URL, {"none": "1", "dose": str(dose.uuid)})

    report = SideEffectReport.objects.get(patient=alice_therapy.patient)
    assert report.dose == dose
    assert report.none_reported is True


def test_a_double_tap_on_the_same_dose_keeps_one_report(
    alice_client: Client, alice_therapy: Therapy, anakinra: Medicine, log_dose: LogDose
) -> None:
    dose = _todays_dose(alice_therapy, log_dose)
    data = _tick(_first(anakinra, Urgency.CALL_DOCTOR), dose=str(dose.uuid))

    first = _htmx(alice_client, data)
    second = _htmx(alice_client, data)

    assert SideEffectReport.objects.filter(patient=alice_therapy.patient).count() == 1
    assert CALL_DOCTOR_HEADING in words(second)
    assert first.status_code == second.status_code == 200


def test_an_emergency_after_answering_none_for_the_same_dose_is_not_lost(
    alice_client: Client, alice_therapy: Therapy, anakinra: Medicine, log_dose: LogDose
) -> None:
    dose = _todays_dose(alice_therapy, log_dose)
    _htmx(alice_client, {"none": "1", "dose": str(dose.uuid)})
    emergency = _first(anakinra, Urgency.EMERGENCY)

    response = _htmx(alice_client, _tick(emergency, dose=str(dose.uuid)))

    # The later answer is what the patient needs to act on now.
    assert EMERGENCY_HEADING in words(response)
    reports = SideEffectReport.objects.filter(patient=alice_therapy.patient)
    assert reports.count() == 2
    urgent = reports.get(urgency=Urgency.EMERGENCY)
    assert urgent.needs_review is True
    assert [item.side_effect for item in urgent.items.all()] == [emergency]


# --- refusals --------------------------------------------------------------------------------


def test_an_empty_answer_is_refused_with_a_plain_message(alice_client: Client) -> None:
    response = alice_client.post(URL, {"other": "   "})

    assert response.status_code == 200
    assert "Tick what you have had" in words(response)
    assert SideEffectReport.objects.count() == 0


def test_an_empty_answer_by_htmx_returns_the_prompt_with_the_message(
    alice_client: Client,
) -> None:
    response = _htmx(alice_client, {})

    assert response.status_code == 200
    [prompt] = top_elements(response)  # the prompt alone, not a whole page
    assert (prompt.name, prompt.get("id")) == ("section", "side-effect-prompt")
    [errors] = prompt.select('.form-errors[role="alert"]')
    assert "Tick what you have had" in words(errors)
    assert SideEffectReport.objects.count() == 0


def test_ticking_a_side_effect_the_prompt_does_not_ask_about_counts_as_empty(
    alice_client: Client, anakinra: Medicine
) -> None:
    not_asked = SideEffect.objects.filter(medicine=anakinra, ask_after_dose=False).first()
    assert not_asked is not None

    response = alice_client.post(URL, _tick(not_asked))

    assert response.status_code == 200
    assert "Tick what you have had" in words(response)
    assert SideEffectReport.objects.count() == 0


def test_a_start_date_in_the_future_is_refused(alice_client: Client, anakinra: Medicine) -> None:
    mild = _first(anakinra, Urgency.TELL_DOCTOR)

    response = alice_client.post(URL, _tick(mild, **{f"started_{mild.pk}": "2026-11-19"}))

    assert response.status_code == 200
    assert "That date is in the future." in words(response)
    assert SideEffectReport.objects.count() == 0


@pytest.mark.parametrize(
    ("zone", "utc_moment", "started", "accepted"),
    [
        # 00:30 on 19 November in Tokyo while it is still the 18th in UTC.
        ("Asia/Tokyo", datetime.datetime(2026, 11, 18, 15, 30, tzinfo=datetime.UTC), 19, True),
        # 22:00 on 18 November in New York while it is already the 19th in UTC.
        (
            "America/New_York",
            datetime.datetime(2026, 11, 19, 3, 0, tzinfo=datetime.UTC),
            19,
            False,
        ),
    ],
)
def test_the_future_is_judged_by_the_patients_own_calendar(
    client: Client,
    bob: User,
    anakinra: Medicine,
    make_therapy: MakeTherapy,
    clock: time_machine.Traveller,
    zone: str,
    utc_moment: datetime.datetime,
    started: int,
    accepted: bool,
) -> None:
    make_therapy(bob, time_zone=zone)
    clock.move_to(utc_moment)
    client.force_login(bob)
    mild = _first(anakinra, Urgency.TELL_DOCTOR)

    client.post(URL, _tick(mild, **{f"started_{mild.pk}": f"2026-11-{started:02d}"}))

    assert SideEffectReport.objects.filter(patient=own_patient(bob)).exists() is accepted


def test_a_nul_character_in_the_text_is_refused(alice_client: Client) -> None:
    response = alice_client.post(URL, {"other": "rash\x00"})

    assert response.status_code == 200
    assert "Null characters are not allowed." in words(response)
    assert SideEffectReport.objects.count() == 0


def test_an_unknown_severity_is_refused(alice_client: Client, anakinra: Medicine) -> None:
    mild = _first(anakinra, Urgency.TELL_DOCTOR)

    response = alice_client.post(URL, _tick(mild, **{f"severity_{mild.pk}": "dreadful"}))

    assert response.status_code == 200
    assert "Select a valid choice" in words(response)
    assert SideEffectReport.objects.count() == 0


# --- who may do what -------------------------------------------------------------------------


@pytest.mark.usefixtures("bob_therapy")
@pytest.mark.parametrize("answer", ["none", "effect"])
def test_bob_cannot_attach_a_report_to_alices_dose(
    bob_client: Client,
    alice_therapy: Therapy,
    anakinra: Medicine,
    log_dose: LogDose,
    answer: str,
) -> None:
    dose = _todays_dose(alice_therapy, log_dose)
    data = {"none": "1"} if answer == "none" else _tick(_first(anakinra, Urgency.CALL_DOCTOR))
    data["dose"] = str(dose.uuid)

    response = bob_client.post(URL, data)

    assert response.status_code == 404
    assert SideEffectReport.objects.count() == 0
    assert DoseLog.objects.get(pk=dose.pk).reports.count() == 0


def test_a_dose_that_does_not_exist_is_a_404(alice_client: Client, anakinra: Medicine) -> None:
    data = _tick(_first(anakinra, Urgency.TELL_DOCTOR), dose=str(uuid.uuid4()))

    response = alice_client.post(URL, data)

    assert response.status_code == 404
    assert SideEffectReport.objects.count() == 0


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_methods_are_not_allowed(alice_client: Client, method: str) -> None:
    response = getattr(alice_client, method)(URL)

    assert response.status_code == 405


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, method: str) -> None:
    response = getattr(client, method)(URL, {"none": "1"} if method == "post" else {})

    assert is_login_redirect(response, URL)
    assert SideEffectReport.objects.count() == 0


def test_the_report_time_is_when_it_was_sent(alice_client: Client, alice_patient: Patient) -> None:
    alice_client.post(URL, {"none": "1"})

    assert SideEffectReport.objects.get(patient=alice_patient).created_at == NOW


# --- whose report, and which checklist ---------------------------------------------------


def test_the_report_is_the_patients_and_records_who_entered_it(
    alice_client: Client, alice: User, alice_patient: Patient
) -> None:
    alice_client.post(URL, {"none": "1"})

    report = SideEffectReport.objects.get()
    assert (report.patient, report.entered_by) == (alice_patient, alice)


@pytest.mark.usefixtures("mia_therapy")
def test_a_caregiver_is_asked_about_the_child(una_client: Client, mia: Patient) -> None:
    response = una_client.get(f"/p/{mia.uuid}/side-effects/new/")

    assert response.status_code == 200
    heading = words(select_one(response, "#prompt-heading"))
    assert heading == "Since Mia’s last dose, have they had any of these?"
    form = select_one(response, "#side-effect-prompt form")
    assert attr(form, "action") == f"/p/{mia.uuid}/side-effects/new/"


def test_a_caregivers_report_is_the_childs_and_names_who_sent_it(
    una_client: Client, una: User, mia: Patient, mia_therapy: Therapy, log_dose: LogDose
) -> None:
    dose = log_dose(mia_therapy, new_york(2026, 11, 18, 8), by=una)

    response = una_client.post(
        f"/p/{mia.uuid}/side-effects/new/", {"none": "1", "dose": str(dose.uuid)}
    )

    report = SideEffectReport.objects.get()
    assert (report.patient, report.entered_by, report.dose) == (mia, una, dose)
    assert response["Location"] == f"/p/{mia.uuid}/side-effects/{report.uuid}/"
    assert "by Una" in words(una_client.get(response["Location"]))


def test_an_emergency_answer_for_a_child_tells_the_caregiver_what_to_say(
    sam_client: Client, mia: Patient, mia_therapy: Therapy, anakinra: Medicine, log_dose: LogDose
) -> None:
    dose = log_dose(mia_therapy, new_york(2026, 11, 18, 8))

    response = sam_client.post(
        f"/p/{mia.uuid}/side-effects/new/",
        _tick(_first(anakinra, Urgency.EMERGENCY), dose=str(dose.uuid)),
        HTTP_HX_REQUEST="true",
    )

    [alert] = select(response, '[role="alert"]')
    assert "Say that Mia takes Anakinra (Kineret) and what Mia is feeling." in words(alert)


def test_the_checklist_after_a_dose_is_that_doses_medicines(
    alice_client: Client,
    alice_patient: Patient,
    make_therapy: MakeTherapy,
    weekly_pill: Medicine,
    log_dose: LogDose,
) -> None:
    pill = _pill_therapy(make_therapy, weekly_pill, alice_patient)
    dose = log_dose(pill, new_york(2026, 11, 18, 8, 5))

    response = alice_client.get(URL, {"dose": str(dose.uuid)})

    assert _asked(response) == ["Mouth sores", "Upset stomach"]
    sores = SideEffect.objects.get(medicine=weekly_pill, name="Mouth sores")
    alice_client.post(URL, _tick(sores, dose=str(dose.uuid)))
    report = SideEffectReport.objects.get(patient=alice_patient)
    assert [item.side_effect for item in report.items.all()] == [sores]
    assert (report.dose, report.urgency, report.needs_review) == (dose, Urgency.CALL_DOCTOR, True)


def test_a_chosen_medicine_gets_its_own_checklist_and_the_answer_is_read_against_it(
    alice_client: Client,
    alice_therapy: Therapy,
    alice_patient: Patient,
    make_therapy: MakeTherapy,
    weekly_pill: Medicine,
) -> None:
    pill = _pill_therapy(make_therapy, weekly_pill, alice_patient)

    response = alice_client.get(URL, {"therapy": str(pill.uuid)})

    assert _asked(response) == ["Mouth sores", "Upset stomach"]
    # Both current medicines are offered; the one asked about is marked.
    choices = select(response, 'nav[aria-label="Which medicine"] a')
    assert [(words(a), a.has_attr("aria-current")) for a in choices] == [
        ("Anakinra (Kineret)", False),
        ("Weeklyzumab", True),
    ]
    assert attr(choices[0], "href") == (
        f"/p/{alice_patient.uuid}/side-effects/new/?therapy={alice_therapy.uuid}"
    )
    chosen = select_one(response, '#side-effect-prompt input[name="therapy"]')
    stomach = SideEffect.objects.get(medicine=weekly_pill, name="Upset stomach")

    # The form posts to the page's address without the query: the choice travels with it.
    alice_client.post(URL, _tick(stomach, therapy=attr(chosen, "value")))

    report = SideEffectReport.objects.get(patient=alice_patient)
    assert [item.side_effect for item in report.items.all()] == [stomach]


def test_without_a_dose_or_a_choice_the_first_current_medicine_is_asked(
    alice_client: Client,
    alice_patient: Patient,
    anakinra: Medicine,
    make_therapy: MakeTherapy,
    weekly_pill: Medicine,
) -> None:
    _pill_therapy(make_therapy, weekly_pill, alice_patient)

    response = alice_client.get(URL)

    assert _asked(response) == [
        effect.name for urgency in Urgency for effect in prompt_effects(anakinra, urgency)
    ]
    assert len(select(response, 'nav[aria-label="Which medicine"] a')) == 2


def test_one_medicine_needs_no_choice(alice_client: Client) -> None:
    response = alice_client.get(URL)

    assert select(response, 'nav[aria-label="Which medicine"]') == []


@pytest.mark.usefixtures("bob_therapy")
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_patients_therapy_is_a_404(
    bob_client: Client, alice_therapy: Therapy, method: str
) -> None:
    response = getattr(bob_client, method)(
        f"{URL}?therapy={alice_therapy.uuid}", {"none": "1"} if method == "post" else {}
    )

    assert response.status_code == 404
    assert SideEffectReport.objects.count() == 0


@pytest.mark.parametrize("raw", [str(uuid.UUID(int=1)), "not-a-uuid"])
def test_an_unknown_therapy_is_a_404(alice_client: Client, raw: str) -> None:
    assert alice_client.get(URL, {"therapy": raw}).status_code == 404


# --- whose address ----------------------------------------------------------------------------


@pytest.mark.usefixtures("bob_therapy")
@pytest.mark.parametrize("method", ["get", "post"])
def test_bob_gets_404_at_alices_address(
    bob_client: Client, alice_patient: Patient, method: str
) -> None:
    response = getattr(bob_client, method)(f"/p/{alice_patient.uuid}/side-effects/new/")

    assert response.status_code == 404
    assert SideEffectReport.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_caregiver_whose_access_ended_gets_404(
    client: Client, alice_patient: Patient, method: str
) -> None:
    client.force_login(ended_caregiver(alice_patient))

    response = getattr(client, method)(
        f"/p/{alice_patient.uuid}/side-effects/new/", {"none": "1"} if method == "post" else {}
    )

    assert response.status_code == 404
    assert SideEffectReport.objects.count() == 0


@pytest.mark.usefixtures("leo_therapy")
def test_a_dose_of_one_child_cannot_be_reported_on_the_others_page(
    sam_client: Client, mia_therapy: Therapy, leo: Patient, log_dose: LogDose
) -> None:
    dose = log_dose(mia_therapy, new_york(2026, 11, 18, 8))

    response = sam_client.post(
        f"/p/{leo.uuid}/side-effects/new/", {"none": "1", "dose": str(dose.uuid)}
    )

    assert response.status_code == 404
    assert SideEffectReport.objects.count() == 0
