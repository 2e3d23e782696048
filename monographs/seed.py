"""The monographs a fresh portal starts with, and the function that adds them.

The content is written from the checked fact sheet (shared/content/anakinra-facts.md)
and cites the FDA prescribing information. Seeding only ever adds a medicine that is
missing: once a row exists, clinicians own it, so a re-run must never touch it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

from .models import (
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

Row = dict[str, Any]
M = TypeVar("M", bound=models.Model)

SEED_CHANGE_REASON = "Seeded from the checked fact sheet"


@dataclass(frozen=True)
class MonographSeed:
    """One medicine and its parts, as field values for the models.

    The first reference is the prescribing information: every section cites it.
    """

    medicine: Row
    references: list[Row]
    sections: list[Row] = field(default_factory=list)
    regimens: list[Row] = field(default_factory=list)
    side_effects: list[Row] = field(default_factory=list)
    warnings: list[Row] = field(default_factory=list)
    interactions: list[Row] = field(default_factory=list)
    contraindications: list[Row] = field(default_factory=list)
    lab_rules: list[Row] = field(default_factory=list)
    injection_sites: list[Row] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.medicine["slug"]


Urgency = SideEffect.Urgency
Often = SideEffect.Frequency
Area = InjectionSite.BodyArea

ANAKINRA = MonographSeed(
    medicine={
        "slug": "anakinra",
        "generic_name": "anakinra",
        "brand_name": "Kineret",
        "drug_class": "Interleukin-1 (IL-1) blocker: a biologic disease-modifying "
        "antirheumatic drug (DMARD)",
        "route": "Injection under the skin",
        "summary": (
            "Anakinra (Kineret) is a medicine you inject under the skin, usually once a day. "
            "It blocks interleukin-1 (IL-1), a protein that drives inflammation. "
            "It is used for rheumatoid arthritis in adults, and for two rare inflammatory "
            "conditions called NOMID and DIRA. "
            "It can make infections more likely, so your care team checks your blood "
            "and asks about infections while you use it."
        ),
        "status": Medicine.Status.PUBLISHED,
        "reviewed_on": datetime.date(2026, 11, 20),
        "reviewed_by": "Kineret Portal clinical content team",
    },
    references=[
        {
            "citation": "Kineret (anakinra) injection, for use under the skin: US prescribing "
            "information and patient information. Swedish Orphan Biovitrum AB (Sobi). "
            "DailyMed, US National Library of Medicine.",
            "url": "https://dailymed.nlm.nih.gov/dailymed/search.cfm?labeltype=all&query=kineret",
        },
        {
            "citation": "MedWatch: the FDA safety information and side effect reporting "
            "programme. US Food and Drug Administration.",
            "url": "https://www.fda.gov/medwatch",
        },
    ],
    sections=[
        {
            "title": "What Kineret is",
            "anchor": "what-it-is",
            "body": """\
Kineret is the brand name of anakinra. You inject it under the skin, usually once a day.

It is a biologic medicine: a protein made in *E. coli* bacteria. Doctors call it a
disease-modifying antirheumatic drug (DMARD).

### Who it is for

In the US, Kineret is approved for:

- **Rheumatoid arthritis (RA)** in adults aged 18 and over. It is for moderate to severe
  RA that is still active after at least one other DMARD. You can use it on its own, or
  with other DMARDs. Do not use it with a TNF blocker.
- **NOMID** (neonatal-onset multisystem inflammatory disease). This is a rare
  inflammatory condition. It is one form of a group of conditions called CAPS.
- **DIRA** (deficiency of interleukin-1 receptor antagonist). This is a rare condition
  in which the body lacks its own IL-1 blocker.

Kineret is not for children with juvenile rheumatoid arthritis.

### Generic versions

Anakinra is not available as a generic medicine.
""",
        },
        {
            "title": "How it works",
            "anchor": "how-it-works",
            "body": """\
Your body makes a protein called interleukin-1 (IL-1). It comes in two forms, IL-1 alpha
and IL-1 beta. Both drive inflammation. In RA, they also add to joint damage.

IL-1 sends its signal by attaching to a receptor on your cells (the IL-1 type I
receptor). Anakinra attaches to that receptor first. With the spot taken, IL-1 cannot
send its signal, and the inflammation calms down.
""",
        },
        {
            "title": "Before you start",
            "anchor": "before-you-start",
            "body": """\
Tell your care team:

- if you have an infection, or think you might. You should not start Kineret during an
  active infection.
- about all the other medicines you take, especially any that weaken the immune system.
- about your vaccines. Bring them up to date before you start. You cannot have live
  vaccines while you use Kineret.
- if you have kidney disease. Your prescriber may change how often you inject.
- if you are pregnant, plan to become pregnant, or are breastfeeding.
- if you have ever had an allergic reaction to anakinra, or to proteins made in
  *E. coli* bacteria.

Your care team will test you for tuberculosis (TB) before you start. TB can stay hidden
in the body without causing symptoms. They will also check your blood with a neutrophil
count before your first dose.

Your first dose is usually given with a nurse or doctor watching. They show you how to
inject, so that you can do it yourself at home.
""",
        },
        {
            "title": "How to inject",
            "anchor": "how-to-inject",
            "body": """\
Your care team will show you how to inject before you do it on your own. These are the
main steps to remember.

### Get ready

1. Take one syringe out of the fridge.
2. Leave it out for about 30 minutes, so it reaches room temperature. Do not warm it
   any other way.
3. Look at the liquid. It should be clear, and colourless to white. Do not use it if it
   is cloudy or discoloured, or if you can see bits in it. Ask your pharmacist what to
   do instead.

### Choose where to inject

- Use the front of your thighs, or your lower belly. On the belly, stay at least
  2 inches (5 cm) away from your belly button.
- If someone else gives the injection, they can also use the backs of your upper arms,
  or the upper outer part of your buttocks.
- Use a different place each time.
- Do not inject into skin that is tender, red, bruised, hard, scarred or has stretch
  marks.
- The medicine goes just under the skin. Never inject it into a muscle or a vein.

### After the injection

- One syringe is one dose. Throw away any medicine left in the syringe. Never keep it
  for another dose.
- Put the used syringe straight into a sharps container. Never put it in your
  household trash.

### Skin reactions where you inject

Redness, bruising, swelling or pain where you inject are common. They usually start in
the first 4 weeks of treatment. Each one usually lasts 14 to 28 days. Tell your care
team if they bother you.
""",
        },
        {
            "title": "Storing Kineret",
            "anchor": "storage",
            "body": """\
- Keep the syringes in the fridge, at 2–8 °C (36–46 °F).
- Keep them in their carton, to protect them from light.
- Do not freeze them.
- Do not shake them.
- Ask your pharmacist or care team how long a syringe may stay out of the fridge.

Each carton holds 7 prefilled glass syringes. Each syringe holds one dose: 100 mg of
anakinra in 0.67 mL of liquid.
""",
        },
        {
            "title": "Pregnancy and breastfeeding",
            "anchor": "pregnancy-and-breastfeeding",
            "body": """\
**Pregnancy.** There is not enough information from pregnant people to know whether
Kineret could harm an unborn baby. In animal studies, high doses did not harm the
unborn young. If you are pregnant or plan to be, decide with your care team whether to
use Kineret.

**Breastfeeding.** No one knows yet whether anakinra passes into breast milk. Talk to
your care team before you breastfeed.
""",
        },
        {
            "title": "Approval history",
            "anchor": "approval-history",
            "body": """\
- **14 November 2001:** the US Food and Drug Administration (FDA) approved Kineret for
  rheumatoid arthritis.
- **December 2012:** the approval was extended to NOMID.
- **December 2020:** the approval was extended to DIRA.
- **November 2022:** the FDA allowed Kineret for COVID-19 under an Emergency Use
  Authorization. This is not an approval. It covers use in hospital only.
""",
        },
        {
            "title": "Reporting side effects",
            "anchor": "reporting-side-effects",
            "body": """\
Tell your care team first about any side effect. They can help you deal with it.

You can also report a side effect to the FDA MedWatch programme:

- by phone on [1-800-FDA-1088](tel:1-800-332-1088)
- online at [fda.gov/medwatch](https://www.fda.gov/medwatch)

In an emergency, call 911 or your local emergency number first.
""",
        },
    ],
    regimens=[
        {
            "indication": "Rheumatoid arthritis (RA)",
            "population": "Adults aged 18 and over",
            "basis": DosingRegimen.Basis.FIXED,
            "usual_dose_low": Decimal("100"),
            "usual_dose_high": Decimal("100"),
            "max_daily": Decimal("100"),
            "frequency": DosingRegimen.Frequency.ONCE_DAILY,
            "notes": "Inject at about the same time each day. Higher doses gave no extra benefit.",
        },
        {
            "indication": "NOMID",
            "population": "Dose set by body weight",
            "basis": DosingRegimen.Basis.PER_KG,
            "usual_dose_low": Decimal("1"),
            "usual_dose_high": Decimal("2"),
            "max_daily": Decimal("8"),
            "frequency": DosingRegimen.Frequency.TWICE_DAILY,
            "notes": "This is the starting dose. The prescriber may change it in steps of "
            "0.5–1 mg/kg.",
        },
        {
            "indication": "DIRA",
            "population": "Dose set by body weight",
            "basis": DosingRegimen.Basis.PER_KG,
            "usual_dose_low": Decimal("1"),
            "usual_dose_high": Decimal("2"),
            "max_daily": Decimal("8"),
            "frequency": DosingRegimen.Frequency.ONCE_DAILY,
            "notes": "This is the starting dose. The prescriber may change it in steps of "
            "0.5–1 mg/kg.",
        },
        {
            "indication": "Severe kidney disease",
            "population": "Creatinine clearance below 30 mL/min, or end-stage kidney disease",
            "basis": DosingRegimen.Basis.FIXED,
            "usual_dose_low": Decimal("100"),
            "usual_dose_high": Decimal("100"),
            "max_daily": Decimal("100"),
            "frequency": DosingRegimen.Frequency.EVERY_OTHER_DAY,
            "notes": "The prescriber may consider giving the prescribed dose every other day.",
        },
    ],
    side_effects=[
        # Get emergency help now: allergic reactions. Asked about after every dose.
        {
            "name": "Trouble breathing",
            "urgency": Urgency.EMERGENCY,
            "frequency": Often.NOT_KNOWN,
            "ask_after_dose": True,
        },
        {
            "name": "Swelling of your face, lips, tongue or throat",
            "urgency": Urgency.EMERGENCY,
            "frequency": Often.NOT_KNOWN,
            "ask_after_dose": True,
        },
        {
            "name": "A choking feeling",
            "urgency": Urgency.EMERGENCY,
            "frequency": Often.NOT_KNOWN,
            "ask_after_dose": True,
        },
        {
            "name": "Fainting or feeling very dizzy",
            "urgency": Urgency.EMERGENCY,
            "frequency": Often.NOT_KNOWN,
            "ask_after_dose": True,
        },
        {
            "name": "Hives over large areas of your body",
            "urgency": Urgency.EMERGENCY,
            "frequency": Often.NOT_KNOWN,
            "ask_after_dose": True,
        },
        # Call your doctor now: infection and bleeding signs. The broad questions
        # (fever, infection, bruising or bleeding) are asked after each dose; the
        # details stay on the page so the prompt stays short.
        {
            "name": "Fever or chills",
            "urgency": Urgency.CALL_DOCTOR,
            "frequency": Often.NOT_KNOWN,
            "ask_after_dose": True,
        },
        {
            "name": "A cough, or other signs of an infection",
            "urgency": Urgency.CALL_DOCTOR,
            "frequency": Often.NOT_KNOWN,
            "ask_after_dose": True,
        },
        {
            "name": "Unusual bruising or bleeding",
            "urgency": Urgency.CALL_DOCTOR,
            "frequency": Often.NOT_KNOWN,
            "ask_after_dose": True,
        },
        {
            "name": "Black, tarry stools, or blood in your urine or stools",
            "urgency": Urgency.CALL_DOCTOR,
            "frequency": Often.NOT_KNOWN,
        },
        {
            "name": "Bleeding gums, or tiny red spots on your skin",
            "urgency": Urgency.CALL_DOCTOR,
            "frequency": Often.NOT_KNOWN,
        },
        {
            "name": "Trouble swallowing",
            "urgency": Urgency.CALL_DOCTOR,
            "frequency": Often.NOT_KNOWN,
        },
        {
            "name": "Unusual tiredness or weakness",
            "urgency": Urgency.CALL_DOCTOR,
            "frequency": Often.NOT_KNOWN,
        },
        {
            "name": "A fast heartbeat",
            "urgency": Urgency.CALL_DOCTOR,
            "frequency": Often.NOT_KNOWN,
        },
        # Tell your doctor if it bothers you: frequencies from the 6-month RA trials
        # (more common: about 1 in 10 people or more).
        {
            "name": "Redness, swelling, itching, pain or bruising where you injected",
            "urgency": Urgency.TELL_DOCTOR,
            "frequency": Often.MORE_COMMON,
            "ask_after_dose": True,
        },
        {
            "name": "Headache",
            "urgency": Urgency.TELL_DOCTOR,
            "frequency": Often.MORE_COMMON,
            "ask_after_dose": True,
        },
        {
            "name": "Nausea or vomiting",
            "urgency": Urgency.TELL_DOCTOR,
            "frequency": Often.LESS_COMMON,
            "ask_after_dose": True,
        },
        {
            "name": "Runny nose or sore throat",
            "urgency": Urgency.TELL_DOCTOR,
            "frequency": Often.MORE_COMMON,
        },
        {
            "name": "Diarrhea",
            "urgency": Urgency.TELL_DOCTOR,
            "frequency": Often.LESS_COMMON,
        },
        {
            "name": "Stomach pain",
            "urgency": Urgency.TELL_DOCTOR,
            "frequency": Often.LESS_COMMON,
        },
        {
            "name": "Joint or muscle aches",
            "urgency": Urgency.TELL_DOCTOR,
            "frequency": Often.LESS_COMMON,
        },
    ],
    warnings=[
        {
            "title": "Serious infections",
            "body": """\
Kineret can make serious infections more likely. In studies of people with RA, about
2 in 100 people on Kineret had a serious infection. On a dummy treatment (placebo),
fewer than 1 in 100 did.

- Do not start Kineret while you have an infection.
- You will have a test for tuberculosis (TB) before you start.
- Call your care team straight away if you have a fever, a cough, or feel weak. Get
  emergency help if you have trouble breathing.
- If you have RA and get a serious infection, your prescriber will stop Kineret.
""",
        },
        {
            "title": "Using it with a TNF blocker",
            "body": """\
TNF blockers are another kind of medicine for inflammation. Using one with Kineret is
not recommended. In a 24-week study, 7 in 100 people using both had a serious
infection, compared with none in the comparison group. Using both did not work any
better.
""",
        },
        {
            "title": "Allergic reactions",
            "body": """\
Serious allergic reactions can happen. These include anaphylaxis, a sudden reaction of
the whole body. Get emergency help straight away if you have trouble breathing, or
swelling of your face, lips, tongue or throat.

People with DIRA have a higher risk, especially in the first weeks of treatment.
""",
        },
        {
            "title": "Low neutrophil count",
            "body": """\
Neutrophils are white blood cells that help fight infection. Kineret can lower their
number. This is called neutropenia.

You will have blood tests to check your neutrophil count: before your first dose, then
every month for 3 months, then every 3 months until you have used Kineret for a year.
The portal reminds you when a test is due.
""",
        },
        {
            "title": "Vaccines",
            "body": """\
Do not have any live vaccines while you use Kineret. Before you start, bring your
vaccines up to date. Ask your care team before you have any vaccine.
""",
        },
        {
            "title": "Cancer and long-lasting infections",
            "body": """\
Kineret acts on the immune system. No one knows yet how it affects cancer, or
long-lasting (chronic) infections, in people whose immune system is already weak. Talk
to your care team if this worries you.
""",
        },
    ],
    interactions=[
        {
            "agent": "TNF blockers",
            "advice": "Not recommended with Kineret. Together they made serious infections "
            "more common, and did not work any better.",
        },
        {
            "agent": "Other medicines that weaken the immune system",
            "advice": "Tell your care team about any you take, before you start Kineret.",
        },
        {
            "agent": "Live vaccines",
            "advice": "Do not have them while you use Kineret. Ask your care team before "
            "any vaccine.",
        },
    ],
    contraindications=[
        {"text": "Anyone who is allergic to proteins made in E. coli bacteria."},
        {"text": "Anyone who is allergic to anakinra."},
        {
            "text": "Anyone who is allergic to any of the other ingredients in Kineret. "
            "Your pharmacist can tell you what they are."
        },
    ],
    lab_rules=[
        {
            "test_name": "Absolute neutrophil count",
            "short_name": "ANC",
            "unit": "cells/µL",
            # Before the first dose, monthly for 3 months, then every 3 months to a year.
            "due_months": [0, 1, 2, 3, 6, 9, 12],
            # The US label sets no action threshold. 1,000 is the trial definition of
            # neutropenia; it is a clinician-editable prompt for review, not a diagnosis.
            "review_below": Decimal("1000"),
            "review_above": None,
            # No usual range: the label gives none; the care team sets one if they wish.
            "low_word": "Lower than expected",
            "watch_for": "A low count can make infections more likely. Call your care team "
            "now if you have a fever or chills, a cough, or other signs of infection.",
            "plausible_max": Decimal("100000"),
            "review_message": "Your care team will look at this result and contact you "
            "if anything is needed.",
        },
    ],
    injection_sites=[
        {
            "body_area": Area.LEFT_THIGH,
            "name": Area.LEFT_THIGH.label,
            "guidance": "You can inject here yourself.",
        },
        {
            "body_area": Area.RIGHT_THIGH,
            "name": Area.RIGHT_THIGH.label,
            "guidance": "You can inject here yourself.",
        },
        {
            "body_area": Area.LEFT_ABDOMEN,
            "name": Area.LEFT_ABDOMEN.label,
            "guidance": "At least 2 inches (5 cm) from the belly button.",
        },
        {
            "body_area": Area.RIGHT_ABDOMEN,
            "name": Area.RIGHT_ABDOMEN.label,
            "guidance": "At least 2 inches (5 cm) from the belly button.",
        },
        {
            "body_area": Area.LEFT_ARM,
            "name": Area.LEFT_ARM.label,
            "guidance": "The fleshy part at the back of the arm.",
            "needs_helper": True,
        },
        {
            "body_area": Area.RIGHT_ARM,
            "name": Area.RIGHT_ARM.label,
            "guidance": "The fleshy part at the back of the arm.",
            "needs_helper": True,
        },
        {
            "body_area": Area.LEFT_BUTTOCK,
            "name": Area.LEFT_BUTTOCK.label,
            "guidance": "The upper, outer part only.",
            "needs_helper": True,
        },
        {
            "body_area": Area.RIGHT_BUTTOCK,
            "name": Area.RIGHT_BUTTOCK.label,
            "guidance": "The upper, outer part only.",
            "needs_helper": True,
        },
    ],
)

SEEDS: tuple[MonographSeed, ...] = (ANAKINRA,)
SEEDED_SLUGS: tuple[str, ...] = tuple(seed.slug for seed in SEEDS)


def seed_monographs() -> list[str]:
    """Create each seeded medicine that is missing; return the slugs created.

    A medicine that already exists is left exactly as it is, even if it differs from
    the seed: clinicians may have edited it.
    """
    return [seed.slug for seed in SEEDS if _create_if_missing(seed)]


def _create_if_missing(seed: MonographSeed) -> bool:
    try:
        with transaction.atomic():
            if Medicine.objects.filter(slug=seed.slug).exists():
                return False
            _create_monograph(seed)
    except IntegrityError:
        # Another run (two `make run`s at once) inserted it after our check.
        if Medicine.objects.filter(slug=seed.slug).exists():
            return False
        raise
    return True


def _create_monograph(seed: MonographSeed) -> Medicine:
    medicine = _create(Medicine, seed.medicine)
    references = [
        _create(Reference, {**row, "medicine": medicine, "order": order})
        for order, row in enumerate(seed.references, start=1)
    ]
    label = references[0]
    children: list[tuple[type[models.Model], list[Row], Row]] = [
        (Section, seed.sections, {"reference": label}),
        (DosingRegimen, seed.regimens, {}),
        (SideEffect, seed.side_effects, {}),
        (SafetyWarning, seed.warnings, {}),
        (Interaction, seed.interactions, {}),
        (Contraindication, seed.contraindications, {}),
        (LabRule, seed.lab_rules, {}),
        (InjectionSite, seed.injection_sites, {}),
    ]
    for model, rows, extra in children:
        for order, row in enumerate(rows, start=1):
            _create(model, {**row, **extra, "medicine": medicine, "order": order})
    return medicine


def _create(model: type[M], values: Row) -> M:
    # One save() per row (not bulk_create) so simple-history records who-created-what;
    # full_clean() first so seed data obeys the same rules as an admin edit.
    instance = model(**values)
    instance.full_clean()
    # simple-history reads this attribute off the instance when save() records history.
    instance._change_reason = SEED_CHANGE_REASON  # type: ignore[attr-defined]
    instance.save()
    return instance
