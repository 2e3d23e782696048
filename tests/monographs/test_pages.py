"""The public medicine pages: /medicines/ and /medicines/<slug>/."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils.html import escape
from pytest_django import DjangoAssertNumQueries

from monographs.models import DosingRegimen, Medicine, Reference, Section, SideEffect
from portal.models import User
from tests.markup import elements, find_all


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
    html = response.content.decode()
    assert find_all(html, "a", href="/medicines/anakinra/")
    assert "Draftamab" not in html
    assert "/medicines/draftamab/" not in html


def test_the_list_says_so_when_nothing_is_published(client: Client, db: None) -> None:
    Medicine.objects.update(status=Medicine.Status.DRAFT)
    _draft()

    response = client.get("/medicines/")

    assert response.status_code == 200
    assert "No medicine guides are published yet." in response.content.decode()
    assert "Draftamab" not in response.content.decode()


def test_the_list_is_get_only(client: Client, db: None) -> None:
    assert client.post("/medicines/").status_code == 405


def test_a_monograph_shows_every_section_and_the_review_date(
    client: Client, anakinra: Medicine
) -> None:
    response = client.get("/medicines/anakinra/")

    assert response.status_code == 200
    html = response.content.decode()
    sections = list(anakinra.sections.all())
    assert sections, "the seeded monograph has prose sections"
    for section in sections:
        assert find_all(html, "h2", id=f"{section.anchor}-heading")
        assert f">{escape(section.title)}</h2>" in html
        assert find_all(html, "a", href=f"#{section.anchor}"), "listed in the contents"
    assert "Medically reviewed on" in html
    assert anakinra.reviewed_on is not None
    assert find_all(html, "time", datetime=anakinra.reviewed_on.isoformat())


def test_a_monograph_shows_the_dosing_table(client: Client, anakinra: Medicine) -> None:
    html = client.get("/medicines/anakinra/").content.decode()

    assert find_all(html, "table", class_="dosing")
    regimens = list(anakinra.regimens.all())
    assert regimens
    for regimen in regimens:
        assert escape(regimen.indication) in html
        assert escape(regimen.dose_text) in html
        assert escape(regimen.max_daily_text) in html


def test_a_monograph_lists_its_references(client: Client, anakinra: Medicine) -> None:
    html = client.get("/medicines/anakinra/").content.decode()

    references = list(anakinra.references.all())
    assert references
    for reference in references:
        assert find_all(html, "li", id=f"ref-{reference.pk}")
        assert escape(reference.citation) in html
    assert find_all(html, "section", id="references")


def test_the_emergency_side_effects_come_first(client: Client, anakinra: Medicine) -> None:
    html = client.get("/medicines/anakinra/").content.decode()

    positions = [html.index(escape(urgency.label)) for urgency in SideEffect.Urgency]
    assert positions == sorted(positions)
    assert html.index(escape(SideEffect.Urgency.EMERGENCY.label)) < html.index(
        'id="what-it-is"'
    ), "emergency help is above the prose"


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

    html = client.get("/medicines/testamab/").content.decode()

    groups = [
        tag.attrs["class"]
        for tag in elements(html)
        if "urgency" in tag.attrs.get("class", "").split()
    ]
    assert groups == ["urgency urgency--1", "urgency urgency--2", "urgency urgency--3"]
    assert (
        html.index("Swelling of the face or throat")
        < html.index("Fever or chills")
        < html.index("Redness where you injected")
    )
    assert find_all(html, "a", href="tel:911")
    assert "Medically reviewed on" in html
    assert "4 March 2026" in html


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
    assert "Extra section 11" in response.content.decode()


def test_the_signed_in_monograph_page_adds_only_the_session_queries(
    alice_client: Client,
    anakinra: Medicine,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    _add_sections(anakinra, 12)

    # The 10 above, plus the session and the user.
    with django_assert_max_num_queries(12):
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
    assert "Medicine-7" in response.content.decode()
