"""Rules that live on the monograph models: dose limits, lab schedules, review thresholds."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from monographs.models import DosingRegimen, LabRule, Medicine, validate_due_months

ANAKINRA_MONTHS = [0, 1, 2, 3, 6, 9, 12]


@pytest.fixture
def medicine(db: None) -> Medicine:
    return Medicine.objects.create(
        slug="testamab",
        generic_name="testamab",
        drug_class="Interleukin blocker",
        route="Injection under the skin",
        summary="A medicine that exists only in tests.",
    )


def _regimen(medicine: Medicine, **values: object) -> DosingRegimen:
    fields: dict[str, object] = {
        "medicine": medicine,
        "indication": "Rheumatoid arthritis",
        "basis": DosingRegimen.Basis.FIXED,
        "usual_dose_low": Decimal("100"),
        "usual_dose_high": Decimal("100"),
        "max_daily": Decimal("100"),
    }
    fields.update(values)
    return DosingRegimen(**fields)


def test_a_fixed_regimen_allows_its_maximum_whatever_the_weight(medicine: Medicine) -> None:
    regimen = _regimen(medicine, max_daily=Decimal("100.00"))

    assert regimen.max_daily_mg() == Decimal("100")
    assert regimen.max_daily_mg(Decimal("25.5")) == Decimal("100")
    assert regimen.max_daily_mg(Decimal("140")) == Decimal("100")


def test_a_weight_based_regimen_scales_with_weight(medicine: Medicine) -> None:
    regimen = _regimen(
        medicine,
        basis=DosingRegimen.Basis.PER_KG,
        usual_dose_low=Decimal("1"),
        usual_dose_high=Decimal("2"),
        max_daily=Decimal("8"),
    )

    limit = regimen.max_daily_mg(Decimal("25.5"))

    assert limit == Decimal("204.00")
    assert str(limit) == "204.00"


@pytest.mark.parametrize("weight", [None, Decimal("0"), Decimal("-3")])
def test_a_weight_based_regimen_needs_a_weight(medicine: Medicine, weight: Decimal | None) -> None:
    regimen = _regimen(medicine, basis=DosingRegimen.Basis.PER_KG, max_daily=Decimal("8"))

    with pytest.raises(ValueError, match="weight"):
        regimen.max_daily_mg(weight)


def test_dose_text_reads_naturally(medicine: Medicine) -> None:
    fixed = _regimen(medicine, max_daily=Decimal("100.00"))
    by_weight = _regimen(
        medicine,
        basis=DosingRegimen.Basis.PER_KG,
        usual_dose_low=Decimal("1.00"),
        usual_dose_high=Decimal("2.50"),
        max_daily=Decimal("8.00"),
    )

    assert fixed.dose_text == "100 mg"
    assert fixed.max_daily_text == "100 mg a day"
    assert by_weight.dose_text == "1–2.5 mg/kg"
    assert by_weight.max_daily_text == "8 mg/kg a day"


@pytest.mark.parametrize(
    ("low", "high", "top"),
    [("200", "100", "300"), ("100", "200", "150"), ("0", "100", "100")],
    ids=["low above high", "maximum below usual", "zero dose"],
)
def test_the_database_keeps_doses_in_order(
    medicine: Medicine, low: str, high: str, top: str
) -> None:
    regimen = _regimen(
        medicine,
        usual_dose_low=Decimal(low),
        usual_dose_high=Decimal(high),
        max_daily=Decimal(top),
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        regimen.save()

    assert not DosingRegimen.objects.filter(medicine=medicine).exists()


def test_the_database_accepts_doses_in_order(medicine: Medicine) -> None:
    _regimen(
        medicine,
        usual_dose_low=Decimal("100"),
        usual_dose_high=Decimal("200"),
        max_daily=Decimal("200"),
    ).save()

    assert DosingRegimen.objects.filter(medicine=medicine).count() == 1


def test_validation_explains_doses_out_of_order(medicine: Medicine) -> None:
    regimen = _regimen(
        medicine,
        usual_dose_low=Decimal("200"),
        usual_dose_high=Decimal("100"),
        max_daily=Decimal("300"),
    )

    with pytest.raises(ValidationError) as raised:
        regimen.full_clean()

    assert raised.value.message_dict == {"usual_dose_high": ["Must not be below the low end."]}


def _lab_rule(medicine: Medicine, **values: object) -> LabRule:
    fields: dict[str, object] = {
        "medicine": medicine,
        "test_name": "Absolute neutrophil count",
        "short_name": "ANC",
        "due_months": ANAKINRA_MONTHS,
    }
    fields.update(values)
    return LabRule(**fields)


def test_due_dates_clamp_to_the_end_of_short_months(medicine: Medicine) -> None:
    rule = _lab_rule(medicine)

    due = rule.due_dates(datetime.date(2026, 1, 31))

    assert due == [
        (0, datetime.date(2026, 1, 31)),
        (1, datetime.date(2026, 2, 28)),
        (2, datetime.date(2026, 3, 31)),
        (3, datetime.date(2026, 4, 30)),
        (6, datetime.date(2026, 7, 31)),
        (9, datetime.date(2026, 10, 31)),
        (12, datetime.date(2027, 1, 31)),
    ]


def test_due_dates_use_february_29_in_a_leap_year(medicine: Medicine) -> None:
    rule = _lab_rule(medicine, due_months=[0, 1, 12])

    due = rule.due_dates(datetime.date(2028, 1, 31))

    assert due == [
        (0, datetime.date(2028, 1, 31)),
        (1, datetime.date(2028, 2, 29)),
        (12, datetime.date(2029, 1, 31)),
    ]


def test_due_dates_from_february_29_fall_on_february_28_the_next_year(
    medicine: Medicine,
) -> None:
    rule = _lab_rule(medicine, due_months=[12])

    assert rule.due_dates(datetime.date(2028, 2, 29)) == [(12, datetime.date(2029, 2, 28))]


def test_schedule_text(medicine: Medicine) -> None:
    rule = _lab_rule(medicine, due_months=[0, 1, 3])

    assert rule.schedule_text == "before the first dose, month 1, month 3"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1499.99", True),
        ("1500", False),
        ("1500.01", False),
        ("8000", False),
        ("8000.01", True),
    ],
)
def test_needs_review_outside_the_thresholds(
    medicine: Medicine, value: str, expected: bool
) -> None:
    rule = _lab_rule(medicine, review_below=Decimal("1500"), review_above=Decimal("8000"))

    assert rule.needs_review(Decimal(value)) is expected


def test_needs_review_with_only_a_lower_threshold(medicine: Medicine) -> None:
    rule = _lab_rule(medicine, review_below=Decimal("1500"), review_above=None)

    assert rule.needs_review(Decimal("1000")) is True
    assert rule.needs_review(Decimal("1000000")) is False


def test_needs_review_without_thresholds_never_flags(medicine: Medicine) -> None:
    rule = _lab_rule(medicine, review_below=None, review_above=None)

    assert rule.needs_review(Decimal("0")) is False
    assert rule.needs_review(Decimal("1000000")) is False


@pytest.mark.parametrize(
    "months",
    [[], "0, 1, 2", None, [1, 0], [0, 0, 1], [-1, 0], [0, 121], [0, True], [0, 1.5], ["1"]],
)
def test_validate_due_months_rejects_a_bad_list(months: object) -> None:
    with pytest.raises(ValidationError):
        validate_due_months(months)


@pytest.mark.parametrize("months", [[0], ANAKINRA_MONTHS, [0, 120]])
def test_validate_due_months_accepts_a_sorted_list_of_months(months: list[int]) -> None:
    validate_due_months(months)


def test_a_lab_rule_with_bad_months_fails_validation(medicine: Medicine) -> None:
    rule = _lab_rule(medicine, due_months=[3, 1])

    with pytest.raises(ValidationError) as raised:
        rule.full_clean()

    assert "due_months" in raised.value.message_dict


def test_published_lists_only_published_medicines(medicine: Medicine) -> None:
    Medicine.objects.create(
        slug="published-one",
        generic_name="publishamab",
        drug_class="x",
        route="y",
        summary="z",
        status=Medicine.Status.PUBLISHED,
    )

    published = {m.slug for m in Medicine.objects.published()}
    assert "published-one" in published
    assert medicine.slug not in published


def test_display_name_shows_the_brand_in_brackets(medicine: Medicine) -> None:
    assert medicine.display_name == "Testamab"

    medicine.brand_name = "Testra"

    assert medicine.display_name == "Testamab (Testra)"
    assert str(medicine) == "Testamab (Testra)"
