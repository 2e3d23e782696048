"""Content editors (erin) edit monographs in the admin; every change is kept and can be
reverted. Publishing, and saying who reviewed a guide medically, is a reviewer's (rita's)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from bs4 import Tag
from django.contrib.auth.models import Group
from django.test import Client
from pytest_django.asserts import assertInHTML

from monographs.models import Medicine, Section
from portal.models import User
from portal.roles import CONTENT_REVIEWERS
from tests.pages import form_data, select, select_one, words

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

NEW_BODY = "Set a **daily alarm** for your dose.\n\n- Take the syringe out of the fridge\n- Wait"


def _change_url(medicine: Medicine) -> str:
    return f"/admin/monographs/medicine/{medicine.pk}/change/"


def _errors(response: TestResponse) -> str:
    """What the admin complained about, for the assertion message."""
    context = getattr(response, "context", None)
    if context is None or "errors" not in context:
        return response.content.decode()[:2000]
    return repr(context["errors"])


def _save_section_body(client: Client, medicine: Medicine, section: Section, body: str) -> None:
    """Change one section through the medicine's change form, as an editor would."""
    page = client.get(_change_url(medicine))
    assert page.status_code == 200
    data = form_data(page, "medicine_form")
    [index] = [
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith("sections-") and key.endswith("-id") and value == [str(section.pk)]
    ]
    data[f"sections-{index}-body"] = [body]
    data["_save"] = ["Save"]

    response = client.post(_change_url(medicine), data)

    assert response.status_code == 302, _errors(response)
    assert response["Location"] == "/admin/monographs/medicine/"


def _public_page(slug: str = "anakinra") -> TestResponse:
    """The page as a patient who is not signed in gets it."""
    response = Client().get(f"/medicines/{slug}/")
    assert response.status_code == 200
    return response


def _public_section(section: Section) -> Tag:
    """The section as a patient who is not signed in sees it on the medicine's page."""
    return select_one(_public_page(section.medicine.slug), f"section#{section.anchor}")


@pytest.fixture
def section(anakinra: Medicine) -> Section:
    return anakinra.sections.get(anchor="how-it-works")


def test_an_editor_changes_a_section_and_patients_see_it(
    erin_client: Client, anakinra: Medicine, section: Section
) -> None:
    old_body = section.body

    _save_section_body(erin_client, anakinra, section, NEW_BODY)

    section.refresh_from_db()
    assert section.body == NEW_BODY
    shown = _public_section(section)
    assert words(shown).startswith(f"{section.title} Set a daily alarm for your dose.")
    assertInHTML("<strong>daily alarm</strong>", str(shown))  # the Markdown is rendered
    assert [words(item) for item in shown.select("li")] == [
        "Take the syringe out of the fridge",
        "Wait",
    ]
    assert old_body.splitlines()[0] not in words(_public_page())


def test_the_edit_is_recorded_with_who_made_it(
    erin_client: Client, erin: User, anakinra: Medicine, section: Section
) -> None:
    before = section.history.count()

    _save_section_body(erin_client, anakinra, section, NEW_BODY)

    assert section.history.count() == before + 1
    latest = section.history.first()
    assert latest is not None
    assert latest.history_type == "~"
    assert latest.history_user == erin
    assert latest.body == NEW_BODY
    assert latest.prev_record is not None
    assert latest.prev_record.body != NEW_BODY


def test_the_section_history_page_names_the_editor(
    erin_client: Client, anakinra: Medicine, section: Section
) -> None:
    history_url = f"/admin/monographs/section/{section.pk}/history/"
    assert "erin@example.com" not in erin_client.get(history_url).content.decode()

    _save_section_body(erin_client, anakinra, section, NEW_BODY)
    response = erin_client.get(history_url)

    assert response.status_code == 200
    # In the "Changed by" column of the change list, not just anywhere on the page.
    table = select_one(response, "#change-history")
    headings = [words(cell) for cell in table.select("thead th")]
    [newest, *_] = table.select("tbody tr")
    changed_by = newest.select("td, th")[headings.index("Changed by")]
    assert words(changed_by) == "erin@example.com"


def test_an_editor_reverts_a_section_to_an_earlier_version(
    erin_client: Client, erin: User, anakinra: Medicine, section: Section
) -> None:
    original = section.history.earliest("history_date")
    _save_section_body(erin_client, anakinra, section, NEW_BODY)
    revert_url = f"/admin/monographs/section/{section.pk}/history/{original.history_id}/"

    page = erin_client.get(revert_url)
    assert page.status_code == 200
    data = form_data(page, "historicalsection_form")
    assert data["body"][0].strip() == original.body.strip()
    data["_save"] = ["Revert"]
    response = erin_client.post(revert_url, data)

    assert response.status_code == 302, _errors(response)
    section.refresh_from_db()
    assert section.body == original.body.strip()
    latest = section.history.first()
    assert latest is not None
    assert latest.history_user == erin
    shown = words(_public_section(section))
    assert "daily alarm" not in shown
    assert "Anakinra attaches to that receptor first." in shown


def test_markdown_with_script_saved_in_the_admin_is_inert_on_the_page(
    erin_client: Client, anakinra: Medicine, section: Section
) -> None:
    hostile = (
        "**Keep it cold.**\n\n<script>alert('stolen')</script>\n\n"
        '<a href="javascript:alert(1)" hx-get="/accounts/logout/" onclick="x()">tap</a>'
    )

    _save_section_body(erin_client, anakinra, section, hostile)

    html = _public_page().content.decode()
    assert "alert(" not in html
    assert "javascript:" not in html
    shown = _public_section(section)
    assertInHTML("<strong>Keep it cold.</strong>", str(shown))
    assert "tap" in [words(link) for link in shown.select("a")]  # the words are kept
    for tag in shown.find_all(True):
        assert tag.name != "script", tag
        assert not any(name.startswith(("on", "hx-")) for name in tag.attrs), tag


def test_a_reference_link_typed_without_a_scheme_is_https(
    erin_client: Client, anakinra: Medicine
) -> None:
    response = erin_client.post(
        "/admin/monographs/reference/add/",
        {
            "medicine": anakinra.pk,
            "order": 9,
            "citation": "A further source",
            "url": "dailymed.nlm.nih.gov/dailymed/",
            "_save": "Save",
        },
    )

    assert response.status_code == 302, _errors(response)
    reference = anakinra.references.get(citation="A further source")
    assert reference.url == "https://dailymed.nlm.nih.gov/dailymed/"
    assert reference.history.get().history_user.email == "erin@example.com"


def _draft(slug: str = "draftamab") -> Medicine:
    return Medicine.objects.create(
        slug=slug,
        generic_name=slug,
        drug_class="Test class",
        route="Injection under the skin",
        summary="Still being written.",
    )


def _results(client: Client, query: str) -> list[str]:
    response = client.get(f"/admin/monographs/medicine/?{query}")
    assert response.status_code == 200
    return sorted(medicine.slug for medicine in response.context["cl"].result_list)


def test_the_medicine_list_searches_names_and_section_text(
    erin_client: Client, anakinra: Medicine
) -> None:
    _draft()

    assert _results(erin_client, "") == ["anakinra", "draftamab"]
    assert _results(erin_client, "q=kineret") == ["anakinra"]
    # Only in a section body ("a protein made in *E. coli* bacteria").
    assert _results(erin_client, "q=coli") == ["anakinra"]
    assert _results(erin_client, "q=draftamab") == ["draftamab"]
    assert _results(erin_client, "q=nothing-matches-this") == []


def test_the_medicine_list_filters_by_status(erin_client: Client, anakinra: Medicine) -> None:
    _draft()

    assert _results(erin_client, "status__exact=draft") == ["draftamab"]
    assert _results(erin_client, "status__exact=published") == ["anakinra"]


def test_the_medicine_list_links_each_preview(erin_client: Client, anakinra: Medicine) -> None:
    _draft()

    listing = erin_client.get("/admin/monographs/medicine/")

    assert select(listing, 'a[href="/medicines/draftamab/preview/"]')
    assert select(listing, 'a[href="/medicines/anakinra/preview/"]')


def test_the_section_list_searches_and_filters(erin_client: Client, anakinra: Medicine) -> None:
    other = _draft()
    Section.objects.create(
        medicine=other, title="How it works", anchor="how-it-works", body="Differently."
    )

    searched = erin_client.get("/admin/monographs/section/?q=receptor")
    filtered = erin_client.get(f"/admin/monographs/section/?medicine__id__exact={other.pk}")

    assert searched.status_code == 200
    assert {s.medicine.slug for s in searched.context["cl"].result_list} == {"anakinra"}
    assert [s.body for s in filtered.context["cl"].result_list] == ["Differently."]


def test_staff_preview_a_draft(carol_client: Client, db: None) -> None:
    _draft()

    response = carol_client.get("/medicines/draftamab/preview/")

    assert response.status_code == 200
    banner = words(select_one(response, '[role="note"]'))
    assert banner == (
        "Preview: this is how patients will see this page. "
        "It is a draft, so patients cannot see it yet."
    )
    assert "Still being written." in words(response)


def test_staff_preview_of_a_published_medicine_says_it_is_live(
    carol_client: Client, anakinra: Medicine
) -> None:
    response = carol_client.get("/medicines/anakinra/preview/")

    assert response.status_code == 200
    banner = words(select_one(response, '[role="note"]'))
    assert banner == "Preview: this is how patients will see this page."


@pytest.mark.parametrize("who", ["anonymous", "alice"])
def test_a_patient_cannot_preview_a_draft(client: Client, alice: User, who: str) -> None:
    _draft()
    if who == "alice":
        client.force_login(alice)

    response = client.get("/medicines/draftamab/preview/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/medicines/draftamab/preview/"
    assert "Still being written." not in response.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "alice", "carol"])
def test_a_draft_is_404_at_its_public_address(
    client: Client, alice: User, carol: User, who: str
) -> None:
    _draft()
    if who != "anonymous":
        client.force_login({"alice": alice, "carol": carol}[who])

    response = client.get("/medicines/draftamab/")

    assert response.status_code == 404
    assert "Still being written." not in response.content.decode()


def test_a_patient_cannot_open_the_admin(alice_client: Client) -> None:
    response = alice_client.get("/admin/monographs/medicine/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_care_team_cannot_open_or_change_user_accounts(
    carol_client: Client, alice: User
) -> None:
    # Granting staff or changing a login is a superuser's; the care team has no user pages.
    change_url = f"/admin/portal/user/{alice.pk}/change/"

    promoted = carol_client.post(change_url, {"email": alice.email, "is_staff": "on"})

    assert promoted.status_code == 403
    alice.refresh_from_db()
    assert not alice.is_staff
    assert carol_client.get("/admin/portal/user/").status_code == 403
    assert carol_client.get("/admin/portal/user/add/").status_code == 403
    assert carol_client.get("/admin/auth/group/").status_code == 403


# --- publishing is a reviewer's ----------------------------------------------------------

PUBLISHING = ("status", "reviewed_on", "reviewed_by")


def _medicine_form(client: Client, medicine: Medicine) -> dict[str, list[str]]:
    page = client.get(_change_url(medicine))
    assert page.status_code == 200
    data = form_data(page, "medicine_form")
    data["_save"] = ["Save"]
    return data


def test_an_editor_sees_the_publish_fields_but_cannot_set_them(
    erin_client: Client, db: None
) -> None:
    draft = _draft()
    data = _medicine_form(erin_client, draft)
    assert not any(name in data for name in PUBLISHING)
    assert "Draft (staff only)" in words(erin_client.get(_change_url(draft)))
    data.update(
        {
            "summary": ["Written, not yet reviewed."],
            "status": ["published"],
            "reviewed_on": ["2026-11-18"],
            "reviewed_by": ["Erin, editor"],
        }
    )

    response = erin_client.post(_change_url(draft), data)

    assert response.status_code == 302, _errors(response)
    draft.refresh_from_db()
    assert draft.summary == "Written, not yet reviewed."
    assert (draft.status, draft.reviewed_on, draft.reviewed_by) == ("draft", None, "")
    assert Client().get("/medicines/draftamab/").status_code == 404


def test_an_editors_revert_keeps_todays_publish_state(
    erin_client: Client, anakinra: Medicine
) -> None:
    published = anakinra.history.latest("history_date")
    assert published.status == "published"
    anakinra.status = Medicine.Status.DRAFT
    anakinra.reviewed_by = ""
    anakinra.save()
    revert_url = f"/admin/monographs/medicine/{anakinra.pk}/history/{published.history_id}/"
    page = erin_client.get(revert_url)
    assert page.status_code == 200
    data = form_data(page, "historicalmedicine_form")
    data["_save"] = ["Revert"]

    response = erin_client.post(revert_url, data)

    assert response.status_code == 302, _errors(response)
    anakinra.refresh_from_db()
    assert (anakinra.status, anakinra.reviewed_by) == ("draft", "")
    assert anakinra.history.latest("history_date").history_user.email == "erin@example.com"


def test_an_editor_who_also_reviews_may_publish(erin_client: Client, erin: User) -> None:
    erin.groups.add(Group.objects.get(name=CONTENT_REVIEWERS))
    draft = _draft()
    data = _medicine_form(erin_client, draft)
    assert data["status"] == ["draft"]
    data.update(
        {"status": ["published"], "reviewed_on": ["2026-11-18"], "reviewed_by": ["Erin, MD"]}
    )

    response = erin_client.post(_change_url(draft), data)

    assert response.status_code == 302, _errors(response)
    draft.refresh_from_db()
    assert (draft.status, str(draft.reviewed_on), draft.reviewed_by) == (
        "published",
        "2026-11-18",
        "Erin, MD",
    )


def test_a_reviewer_reads_a_sections_history_but_cannot_revert_it(
    rita_client: Client, erin_client: Client, anakinra: Medicine, section: Section
) -> None:
    original = section.history.earliest("history_date")
    _save_section_body(erin_client, anakinra, section, NEW_BODY)
    revert_url = f"/admin/monographs/section/{section.pk}/history/{original.history_id}/"
    page = rita_client.get(revert_url)
    assert page.status_code == 200
    assert select(page, '[name="_save"]') == []

    # simple_history alone would save this for anyone who may view the section.
    response = rita_client.post(revert_url, {"_save": "Revert"})

    assert response.status_code == 403
    section.refresh_from_db()
    assert section.body == NEW_BODY
