"""The seed_monographs command: the anakinra monograph, complete, added only once."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import models
from django.test import Client
from simple_history.utils import get_history_manager_for_model

from monographs.models import (
    Contraindication,
    DosingRegimen,
    InjectionSite,
    Interaction,
    LabRule,
    Medicine,
    Reference,
    SafetyWarning,
    Section,
    SideEffect,
)
from monographs.seed import seed_monographs
from tests.pages import select_one, words

MONOGRAPH_MODELS: list[type[models.Model]] = [
    Medicine,
    Reference,
    Section,
    DosingRegimen,
    SideEffect,
    SafetyWarning,
    Interaction,
    Contraindication,
    LabRule,
    InjectionSite,
]

# Noise and errors found in the scraped source pages: none may reach the monograph.
FORBIDDEN = [
    "Remicade",  # swapped brand names in the source ("infliximab (Enbrel)")
    "Enbrel",
    "psoriasis",  # fragments of other drugs' pages
    "psoriatic",
    "ankylosing",
    "idiopathic",
    "graft",
    "GVHD",
    "GoodRx",  # page furniture
    "MedicineNet",
    "slideshow",
    "Trending on",
    "only FDA-approved",  # unsupported marketing claim
    "2019",  # "Medically Reviewed on 9/25/2019", "coronavirus disease 2019"
    "amyloidosis",  # marked verify in the fact sheet: left out until checked
]

SECTION_ANCHORS = [
    "what-it-is",
    "how-it-works",
    "before-you-start",
    "how-to-inject",
    "storage",
    "pregnancy-and-breastfeeding",
    "approval-history",
    "reporting-side-effects",
]

# Parts of the page drawn from structured rows rather than sections.
ROW_ANCHORS = [
    "side-effects",
    "dosing",
    "who-should-not-use",
    "warnings",
    "interactions",
    "lab-tests",
    "injection-sites",
    "references",
]


def _row_counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in MONOGRAPH_MODELS}


def _history_counts() -> dict[str, int]:
    return {
        model.__name__: get_history_manager_for_model(model).count() for model in MONOGRAPH_MODELS
    }


def _seeded_rows(medicine: Medicine) -> list[models.Model]:
    rows: list[models.Model] = [medicine]
    for relation in Medicine._meta.related_objects:
        accessor = relation.get_accessor_name()
        assert accessor is not None, relation
        rows.extend(getattr(medicine, accessor).all())
    return rows


def _texts(row: models.Model) -> list[str]:
    return [
        str(getattr(row, field.attname))
        for field in row._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
    ]


def _all_texts(medicine: Medicine) -> list[str]:
    return [text for row in _seeded_rows(medicine) for text in _texts(row)]


def _flat(text: str) -> str:
    """Markdown bodies are wrapped; compare them as one line."""
    return " ".join(text.split())


def _regimen(medicine: Medicine, indication: str) -> DosingRegimen:
    return medicine.regimens.get(indication__icontains=indication)


# Running it


@pytest.fixture
def empty_catalogue(db: None) -> None:
    """The suite seeds once per run; these tests start from before that."""
    Medicine.objects.all().delete()


def test_first_run_creates_anakinra(empty_catalogue: None) -> None:
    assert seed_monographs() == ["anakinra"]
    assert Medicine.objects.filter(slug="anakinra").exists()


def test_second_run_creates_nothing_and_does_not_fail(db: None) -> None:
    seed_monographs()
    rows, history = _row_counts(), _history_counts()

    assert seed_monographs() == []

    assert _row_counts() == rows
    assert _history_counts() == history


def test_command_says_what_it_did(empty_catalogue: None) -> None:
    first, second = StringIO(), StringIO()

    call_command("seed_monographs", stdout=first)
    call_command("seed_monographs", stdout=second)

    assert "anakinra: created" in first.getvalue()
    assert "anakinra: already present" in second.getvalue()
    assert Medicine.objects.filter(slug="anakinra").count() == 1


def test_command_is_quiet_at_verbosity_zero(empty_catalogue: None) -> None:
    out = StringIO()
    call_command("seed_monographs", verbosity=0, stdout=out)
    assert out.getvalue() == ""


def test_clinician_edits_survive_a_rerun(anakinra: Medicine) -> None:
    anakinra.summary = "Edited by a clinician."
    anakinra.save()
    regimen = _regimen(anakinra, "rheumatoid")
    regimen.notes = "Clinician's note."
    regimen.save()
    anakinra.sections.get(anchor="approval-history").delete()
    anakinra.side_effects.filter(name="Headache").delete()

    call_command("seed_monographs", verbosity=0)

    anakinra.refresh_from_db()
    regimen.refresh_from_db()
    assert anakinra.summary == "Edited by a clinician."
    assert regimen.notes == "Clinician's note."
    assert not anakinra.sections.filter(anchor="approval-history").exists()
    assert not anakinra.side_effects.filter(name="Headache").exists()


def test_every_row_has_an_initial_history_entry(anakinra: Medicine) -> None:
    for row in _seeded_rows(anakinra):
        # The row's own history: the manager simple_history adds, bound to this row.
        entries = list(get_history_manager_for_model(row).all())
        assert [entry.history_type for entry in entries] == ["+"], row


# The medicine


def test_it_is_published_and_reviewed(anakinra: Medicine) -> None:
    assert anakinra.generic_name == "anakinra"
    assert anakinra.brand_name == "Kineret"
    assert anakinra.is_published
    assert Medicine.objects.published().filter(pk=anakinra.pk).exists()
    assert anakinra.reviewed_on is not None
    assert anakinra.reviewed_on.year == 2026
    assert anakinra.reviewed_by
    assert anakinra.summary
    assert "\n" not in anakinra.summary


def test_prescribing_information_comes_first_and_every_section_cites_it(
    anakinra: Medicine,
) -> None:
    label = anakinra.references.first()
    assert label is not None
    assert "Kineret" in label.citation
    assert "Swedish Orphan Biovitrum" in label.citation
    assert label.url.startswith("https://dailymed.nlm.nih.gov/")
    assert all(section.reference_id == label.pk for section in anakinra.sections.all())


def test_every_section_the_fact_sheet_covers_is_present(anakinra: Medicine) -> None:
    assert [section.anchor for section in anakinra.sections.all()] == SECTION_ANCHORS
    assert all(section.title and section.body for section in anakinra.sections.all())


def test_the_public_page_shows_every_part(anakinra: Medicine, client: Client) -> None:
    response = client.get(anakinra.get_absolute_url())

    assert response.status_code == 200
    for anchor in SECTION_ANCHORS + ROW_ANCHORS:
        # A section the contents can link to, named by its heading.
        shown = select_one(response, f"section#{anchor}")
        assert words(select_one(shown, f"h2#{anchor}-heading")), anchor
    for section in anakinra.sections.all():
        assert words(select_one(response, f"h2#{section.anchor}-heading")) == section.title


def test_what_it_is_covers_who_it_is_for(anakinra: Medicine) -> None:
    body = _flat(anakinra.sections.get(anchor="what-it-is").body)
    for expected in ["Rheumatoid arthritis", "18", "NOMID", "DIRA", "juvenile", "generic"]:
        assert expected in body, expected


def test_approval_history_calls_the_covid_authorisation_what_it_is(anakinra: Medicine) -> None:
    body = _flat(anakinra.sections.get(anchor="approval-history").body)
    assert "14 November 2001" in body
    assert "Emergency Use Authorization" in body
    assert "not an approval" in body
    assert "hospital" in body


def test_storage_sends_the_room_temperature_time_to_the_pharmacist(anakinra: Medicine) -> None:
    body = _flat(anakinra.sections.get(anchor="storage").body)
    assert "2–8 °C" in body
    assert "36–46 °F" in body
    assert "freeze" in body
    assert "pharmacist" in body


# Dosing


def test_ra_regimen_is_100_mg_once_a_day(anakinra: Medicine) -> None:
    regimen = _regimen(anakinra, "rheumatoid")

    assert regimen.basis == DosingRegimen.Basis.FIXED
    assert regimen.usual_dose_low == regimen.usual_dose_high == Decimal("100")
    assert regimen.max_daily == Decimal("100")
    assert regimen.max_daily_mg() == Decimal("100")
    assert regimen.frequency == DosingRegimen.Frequency.ONCE_DAILY
    assert "18" in regimen.population


@pytest.mark.parametrize(
    ("indication", "frequency"),
    [
        ("NOMID", DosingRegimen.Frequency.TWICE_DAILY),
        ("DIRA", DosingRegimen.Frequency.ONCE_DAILY),
    ],
)
def test_nomid_and_dira_are_dosed_by_weight_up_to_8_mg_per_kg(
    anakinra: Medicine, indication: str, frequency: str
) -> None:
    regimen = _regimen(anakinra, indication)

    assert regimen.basis == DosingRegimen.Basis.PER_KG
    assert (regimen.usual_dose_low, regimen.usual_dose_high) == (Decimal("1"), Decimal("2"))
    assert regimen.max_daily == Decimal("8")
    assert regimen.max_daily_mg(Decimal("20")) == Decimal("160")
    assert regimen.frequency == frequency


def test_severe_kidney_disease_may_be_every_other_day(anakinra: Medicine) -> None:
    regimen = _regimen(anakinra, "kidney")

    assert regimen.frequency == DosingRegimen.Frequency.EVERY_OTHER_DAY
    assert "30 mL/min" in regimen.population
    assert "every other day" in regimen.notes


def test_regimens_pass_model_validation(anakinra: Medicine) -> None:
    for regimen in anakinra.regimens.all():
        regimen.full_clean()


# Side effects


def test_emergency_tier_has_breathing_and_swelling(anakinra: Medicine) -> None:
    names = [
        effect.name.lower()
        for effect in anakinra.side_effects.filter(urgency=SideEffect.Urgency.EMERGENCY)
    ]
    assert any("trouble breathing" in name for name in names)
    assert any("face" in name and "throat" in name for name in names)


def test_patients_are_asked_about_the_right_side_effects_after_each_dose(
    anakinra: Medicine,
) -> None:
    effects = list(anakinra.side_effects.all())
    asked = [effect.name.lower() for effect in effects if effect.ask_after_dose]

    emergency = [e for e in effects if e.urgency == SideEffect.Urgency.EMERGENCY]
    assert emergency
    assert all(effect.ask_after_dose for effect in emergency)
    for expected in ["fever", "infection", "bruising or bleeding", "injected", "headache"]:
        assert any(expected in name for name in asked), expected
    assert any("nausea" in name for name in asked)
    assert len(asked) < len(effects)


def test_every_urgency_tier_is_used(anakinra: Medicine) -> None:
    tiers = set(anakinra.side_effects.values_list("urgency", flat=True))
    assert tiers == set(SideEffect.Urgency.values)


def test_injection_site_reactions_are_the_common_one(anakinra: Medicine) -> None:
    reaction = anakinra.side_effects.get(name__icontains="where you injected")
    assert reaction.frequency == SideEffect.Frequency.MORE_COMMON
    assert reaction.urgency == SideEffect.Urgency.TELL_DOCTOR


# Warnings, interactions, who should not use it


def test_warnings_cover_the_label(anakinra: Medicine) -> None:
    warnings = {warning.title: _flat(warning.body) for warning in anakinra.warnings.all()}

    infections = warnings["Serious infections"]
    assert "2 in 100" in infections
    assert "fewer than 1 in 100" in infections
    assert "tuberculosis" in infections
    assert "stop" in infections
    assert "7 in 100" in warnings["Using it with a TNF blocker"]
    assert "DIRA" in warnings["Allergic reactions"]
    assert "neutrophil" in warnings["Low neutrophil count"]
    assert "live vaccines" in warnings["Vaccines"]
    assert "cancer" in warnings["Cancer and long-lasting infections"]


def test_interactions(anakinra: Medicine) -> None:
    advice = {item.agent: item.advice for item in anakinra.interactions.all()}

    assert "Not recommended" in advice["TNF blockers"]
    assert "care team" in advice["Other medicines that weaken the immune system"]
    assert "Do not" in advice["Live vaccines"]


def test_contraindications(anakinra: Medicine) -> None:
    texts = " ".join(anakinra.contraindications.values_list("text", flat=True))
    assert "E. coli" in texts
    assert "anakinra" in texts
    assert "ingredients" in texts


# Blood tests and injection sites


def test_anc_rule_follows_the_label_schedule(anakinra: Medicine) -> None:
    rule = anakinra.lab_rules.get()

    assert rule.short_name == "ANC"
    assert rule.test_name == "Absolute neutrophil count"
    assert rule.unit == "cells/µL"
    assert rule.due_months == [0, 1, 2, 3, 6, 9, 12]
    assert rule.review_below == Decimal("1000")
    assert rule.review_above is None
    assert rule.needs_review(Decimal("900"))
    assert not rule.needs_review(Decimal("2500"))
    assert rule.due_dates(datetime.date(2026, 1, 31))[1] == (1, datetime.date(2026, 2, 28))


def test_anc_review_message_never_diagnoses(anakinra: Medicine) -> None:
    message = anakinra.lab_rules.get().review_message.lower()
    assert "care team" in message
    for word in ["neutropenia", "low", "diagnos", "abnormal", "infection"]:
        assert word not in message, word


def test_injection_sites(anakinra: Medicine) -> None:
    helper = {site.body_area: site.needs_helper for site in anakinra.injection_sites.all()}
    area = InjectionSite.BodyArea

    assert set(helper) == set(area.values)
    assert helper == {
        area.LEFT_THIGH: False,
        area.RIGHT_THIGH: False,
        area.LEFT_ABDOMEN: False,
        area.RIGHT_ABDOMEN: False,
        area.LEFT_ARM: True,
        area.RIGHT_ARM: True,
        area.LEFT_BUTTOCK: True,
        area.RIGHT_BUTTOCK: True,
    }
    belly = anakinra.injection_sites.get(body_area=area.LEFT_ABDOMEN)
    assert "belly button" in belly.guidance


# Source errors and noise


def test_no_source_errors_or_noise_in_any_text(anakinra: Medicine) -> None:
    texts = _all_texts(anakinra)
    assert len(texts) > 50  # the scan really covers the seeded rows

    for text in texts:
        for forbidden in FORBIDDEN:
            assert forbidden.lower() not in _flat(text).lower(), (forbidden, text[:80])
