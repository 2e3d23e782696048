"""The public medicine pages: /medicines/ and /medicines/<slug>/."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from monographs.models import DosingRegimen, Medicine, Reference, Section, SideEffect
from portal.models import User
from tests.pages import Markup, attr, parse, select, select_one, words


def _side_effect_groups(page: Markup) -> list[str]:
    """The headings of the side-effect groups, in page order."""
    return [words(select_one(group, "h3")) for group in select(page, "#side-effects .urgency")]


def _draft(slug: str = "draftamab") -> Medicine:
    return Medicine.objects.create(
        slug=slug,
        generic_name=slug,
        drug_class="Test class",
        route="Injection under the skin",
        summary="Not reviewed yet.",
    )


def test_the_list_shows_only_published_medicines(client: Client, anakinra: Medicine) -> None:
    _draft()

    response = client.get("/medicines/")

    assert response.status_code == 200
    [link] = select(response, 'main a[href="/medicines/anakinra/"]')
    assert words(link) == anakinra.display_name
    html = response.content.decode()
    assert "Draftamab" not in html
    assert "/medicines/draftamab/" not in html


def test_the_list_says_so_when_nothing_is_published(client: Client, db: None) -> None:
    Medicine.objects.update(status=Medicine.Status.DRAFT)
    _draft()

    response = client.get("/medicines/")

    assert response.status_code == 200
    assert "No medicine guides are published yet." in words(response)
    assert "Draftamab" not in response.content.decode()


def test_the_list_is_get_only(client: Client, db: None) -> None:
    assert client.post("/medicines/").status_code == 405


def test_a_monograph_shows_every_section_and_the_review_date(
    client: Client, anakinra: Medicine
) -> None:
    response = client.get("/medicines/anakinra/")

    assert response.status_code == 200
    page = parse(response)
    sections = list(anakinra.sections.all())
    assert sections, "the seeded monograph has prose sections"
    contents = select_one(page, "nav.contents")
    for section in sections:
        shown = select_one(page, f"section#{section.anchor}")
        assert attr(shown, "aria-labelledby") == f"{section.anchor}-heading"
        assert words(select_one(shown, f"h2#{section.anchor}-heading")) == section.title
        [entry] = contents.select(f'a[href="#{section.anchor}"]')  # listed in the contents
        assert words(entry) == section.title
    assert anakinra.reviewed_on is not None
    # In the facts at the top, and again at the end, with the date for machines.
    times = page.select(f'time[datetime="{anakinra.reviewed_on.isoformat()}"]')
    assert [words(time) for time in times] == [f"{anakinra.reviewed_on:%-d %B %Y}"] * 2
    assert f"Medically reviewed on {anakinra.reviewed_on:%-d %B %Y}" in words(page)
    assert words(select_one(page, "dl.facts")).endswith(
        f"Medically reviewed on {anakinra.reviewed_on:%-d %B %Y} by {anakinra.reviewed_by}"
    )


def test_a_monograph_shows_the_dosing_table(client: Client, anakinra: Medicine) -> None:
    table = select_one(client.get("/medicines/anakinra/"), "table.dosing")

    regimens = list(anakinra.regimens.all())
    assert regimens
    rows = [words(row) for row in table.select("tbody tr")]
    assert len(rows) == len(regimens)
    for row, regimen in zip(rows, regimens, strict=True):
        assert row.startswith(regimen.indication)
        assert regimen.dose_text in row
        assert row.endswith(regimen.max_daily_text)


def test_a_monograph_lists_its_references(client: Client, anakinra: Medicine) -> None:
    page = client.get("/medicines/anakinra/")

    references = list(anakinra.references.all())
    assert references
    listed = select_one(page, "section#references")
    for reference in references:
        assert reference.citation in words(select_one(listed, f"li#ref-{reference.pk}"))


def test_the_emergency_side_effects_come_first(client: Client, anakinra: Medicine) -> None:
    page = parse(client.get("/medicines/anakinra/"))

    assert _side_effect_groups(page) == [
        f"! {SideEffect.Urgency.EMERGENCY.label}",
        SideEffect.Urgency.CALL_DOCTOR.label,
        SideEffect.Urgency.TELL_DOCTOR.label,
    ]
    # Emergency help is above the prose: the first of these in the page is the group.
    [first, *_] = page.select("#side-effects .urgency--1, section.prose")
    assert "urgency--1" in attr(first, "class").split()


def _published(slug: str = "testamab") -> Medicine:
    return Medicine.objects.create(
        slug=slug,
        generic_name=slug,
        drug_class="Test class",
        route="Injection under the skin",
        summary="A medicine that exists only in tests.",
        status=Medicine.Status.PUBLISHED,
        reviewed_on=datetime.date(2026, 3, 4),
        reviewed_by="Dr Test",
    )


def test_side_effect_groups_follow_urgency_not_entry_order(client: Client, db: None) -> None:
    medicine = _published()
    # Entered mildest first, so the page has to sort them.
    for urgency, name in [
        (SideEffect.Urgency.TELL_DOCTOR, "Redness where you injected"),
        (SideEffect.Urgency.CALL_DOCTOR, "Fever or chills"),
        (SideEffect.Urgency.EMERGENCY, "Swelling of the face or throat"),
    ]:
        SideEffect.objects.create(medicine=medicine, name=name, urgency=urgency, order=1)

    page = parse(client.get("/medicines/testamab/"))

    assert _side_effect_groups(page) == [
        f"! {SideEffect.Urgency.EMERGENCY.label}",
        SideEffect.Urgency.CALL_DOCTOR.label,
        SideEffect.Urgency.TELL_DOCTOR.label,
    ]
    effects = [words(item) for item in page.select("#side-effects .urgency li")]
    assert effects == [
        "Swelling of the face or throat",
        "Fever or chills",
        "Redness where you injected",
    ]
    emergency = select_one(page, "#side-effects .urgency--1")
    assert words(select_one(emergency, 'a[href="tel:911"]')) == "911"
    assert "Medically reviewed on 4 March 2026" in words(page)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "alice"])
def test_a_published_monograph_is_public(
    client: Client, anakinra: Medicine, alice: User, signed_in: bool
) -> None:
    if signed_in:
        client.force_login(alice)

    response = client.get("/medicines/anakinra/")

    assert response.status_code == 200
    assert "monographs/medicine_detail.html" in [t.name for t in response.templates]
    assert "Preview: this is how patients will see this page." not in response.content.decode()


def test_a_monograph_is_get_only(client: Client, anakinra: Medicine) -> None:
    assert client.post("/medicines/anakinra/").status_code == 405


def test_an_unknown_medicine_is_404(client: Client, db: None) -> None:
    assert client.get("/medicines/no-such-medicine/").status_code == 404


def test_the_home_page_sends_anonymous_users_to_sign_in(client: Client, db: None) -> None:
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def _add_sections(medicine: Medicine, count: int) -> None:
    reference = Reference.objects.create(medicine=medicine, order=99, citation="Extra source")
    start = medicine.sections.count()
    for number in range(start, start + count):
        Section.objects.create(
            medicine=medicine,
            order=number + 100,
            title=f"Extra section {number}",
            anchor=f"extra-{number}",
            body="More **words**.",
            reference=reference,
        )


def test_the_monograph_page_runs_a_fixed_number_of_queries(
    client: Client, anakinra: Medicine, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    DosingRegimen.objects.create(
        medicine=anakinra,
        indication="Extra indication",
        usual_dose_low=Decimal("1"),
        usual_dose_high=Decimal("1"),
        max_daily=Decimal("1"),
    )
    _add_sections(anakinra, 12)

    # 1 the medicine, then one prefetch each: references, sections (joined with the
    # reference each cites), regimens, side effects, warnings, interactions,
    # contraindications, lab rules, injection sites. However many rows each has.
    with django_assert_max_num_queries(10):
        response = client.get("/medicines/anakinra/")

    assert response.status_code == 200
    assert "Extra section 11" in words(response)


@pytest.mark.usefixtures("alice_patient")
def test_the_signed_in_monograph_page_adds_only_the_session_queries(
    alice_client: Client,
    anakinra: Medicine,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    _add_sections(anakinra, 12)

    # The 10 above, plus the session, the user, and the patients the account acts for
    # (one query, patients joined: the patient middleware runs on every page).
    with django_assert_max_num_queries(13):
        response = alice_client.get("/medicines/anakinra/")

    assert response.status_code == 200


def test_the_list_page_runs_a_fixed_number_of_queries(
    client: Client, db: None, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for number in range(8):
        _published(f"medicine-{number}")

    # 1: the published medicines.
    with django_assert_max_num_queries(1):
        response = client.get("/medicines/")

    assert response.status_code == 200
    assert "Medicine-7" in words(response)
