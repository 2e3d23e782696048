"""Each staff role gets exactly its admin pages: a walk over every registered model's
list, add, record, history, past version and delete pages, for an existing record.

A page is either opened (200) or refused: 403, 404, or the admin's "does not exist"
redirect (a record another clinic's, or no role's, is not found). A new model in admin
fails this test until it says who may open it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db.models import Model
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from monographs.models import LabRule, Medicine
from portal.models import AccountDeletionRequest, StaffAccess, User
from portal.roles import CARE_TEAM
from tests.world import (
    NORTH_CLINIC,
    PASSWORD,
    TODAY,
    LogDose,
    Urgency,
    new_report,
    new_result,
    new_york,
    prompt_effects,
)
from tracking.models import CareTeam, PatientPreferences, ReminderDelivery, Therapy

pytestmark = pytest.mark.usefixtures("clock")

ALL = frozenset({"list", "add", "change", "history", "version", "delete"})
READ = frozenset({"list", "change", "history", "version"})
REVIEW = READ  # "mark reviewed" is an action on the list, not a page of its own
MONOGRAPHS = (
    "monographs.contraindication",
    "monographs.dosingregimen",
    "monographs.injectionsite",
    "monographs.interaction",
    "monographs.labrule",
    "monographs.medicine",
    "monographs.reference",
    "monographs.safetywarning",
    "monographs.section",
    "monographs.sideeffect",
)

# The pages each role opens; every other page of every registered model is refused.
OPENS: dict[str, dict[str, frozenset[str]]] = {
    "carol": {
        "tracking.patient": READ,
        "tracking.doselog": READ,
        "tracking.sideeffectreport": REVIEW,
        "tracking.labresult": REVIEW,
        "tracking.reminderdelivery": READ,
        "portal.accountdeletionrequest": READ,
    },
    "erin": dict.fromkeys(MONOGRAPHS, ALL),
    "rita": dict.fromkeys(MONOGRAPHS, READ),
    "nobody": {},
    "root": {
        **dict.fromkeys(MONOGRAPHS, ALL),
        "auth.group": ALL,
        "portal.user": ALL,
        "portal.staffaccess": READ,
        "portal.accountdeletionrequest": READ,
        "tracking.patient": ALL - {"delete"},
        "tracking.doselog": READ,
        "tracking.sideeffectreport": READ,
        "tracking.labresult": READ,
        "tracking.reminderdelivery": READ | {"delete"},
        "tracking.patientpreferences": READ | {"delete"},
        "tracking.careteam": ALL,
        "axes.accessattempt": READ | {"delete"},
        "axes.accesslog": READ | {"delete"},
        "axes.accessfailurelog": READ | {"delete"},
        "otp_totp.totpdevice": ALL,
        "otp_static.staticdevice": ALL,
    },
}
APPS = {
    "carol": {"portal", "tracking"},
    "erin": {"monographs"},
    "rita": {"monographs"},
    "nobody": set(),
    "root": {"auth", "axes", "monographs", "otp_static", "otp_totp", "portal", "tracking"},
}


@pytest.fixture
def one_of_each(
    alice: User,
    root: User,
    alice_therapy: Therapy,
    log_dose: LogDose,
    anakinra: Medicine,
    anc_rule: LabRule,
) -> dict[str, Model]:
    """An existing record of every registered model, each one alice's where it is a patient's."""
    patient = alice_therapy.patient
    found: dict[str, Model] = {
        label: apps.get_model(label).objects.filter(medicine=anakinra).first()
        if label != "monographs.medicine"
        else anakinra
        for label in MONOGRAPHS
    }
    login = {
        "username": "alice@example.com",
        "ip_address": "192.0.2.1",
        "user_agent": "test",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
    }
    found.update(
        {
            "auth.group": Group.objects.get(name=CARE_TEAM),
            "portal.user": alice,
            "portal.staffaccess": StaffAccess.objects.create(
                staff=root, action=StaffAccess.Action.VIEW, patient=patient, path="/admin/"
            ),
            "portal.accountdeletionrequest": AccountDeletionRequest.objects.create(account=alice),
            "tracking.patient": patient,
            "tracking.doselog": log_dose(alice_therapy, new_york(2026, 11, 18, 8, 5)),
            "tracking.sideeffectreport": new_report(
                alice, prompt_effects(anakinra, Urgency.CALL_DOCTOR)[0], needs_review=True
            ),
            "tracking.labresult": new_result(
                alice,
                anc_rule,
                month=1,
                value=800,
                taken_on=TODAY - datetime.timedelta(days=1),
                needs_review=True,
            ),
            "tracking.reminderdelivery": ReminderDelivery.objects.create(
                patient=patient,
                account=alice,
                reason=ReminderDelivery.Reason.LAB_SOON,
                due_date=TODAY,
            ),
            "tracking.patientpreferences": PatientPreferences.objects.create(account=alice),
            "tracking.careteam": CareTeam.objects.get(name=NORTH_CLINIC),
            "axes.accessattempt": AccessAttempt.objects.create(
                **login, get_data="", post_data="", failures_since_start=1
            ),
            "axes.accesslog": AccessLog.objects.create(**login),
            "axes.accessfailurelog": AccessFailureLog.objects.create(**login),
            "otp_totp.totpdevice": TOTPDevice.objects.create(user=root, name="Spare"),
            "otp_static.staticdevice": StaticDevice.objects.create(user=root, name="Backup"),
        }
    )
    return found


def _nobody_client() -> Client:
    """Staff in no group, signed in with a second factor like the world's staff."""
    nobody = User.objects.create_user("nobody@example.com", PASSWORD, is_staff=True)
    client = Client()
    client.force_login(nobody)
    device = TOTPDevice.objects.create(user=nobody, name="Phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _pages(label: str, obj: Model) -> Iterator[tuple[str, str]]:
    base = f"/admin/{label.replace('.', '/')}/"
    yield "list", base
    yield "add", f"{base}add/"
    yield "change", f"{base}{obj.pk}/change/"
    yield "history", f"{base}{obj.pk}/history/"
    history = getattr(obj, "history", None)  # simple_history's records of this one
    if history is not None:
        version = history.latest("history_date").history_id
        yield "version", f"{base}{obj.pk}/history/{version}/"
    yield "delete", f"{base}{obj.pk}/delete/"


def _refused(status: int, location: str) -> bool:
    # The admin answers a record it does not show by sending staff to its index.
    return status in (403, 404) or (status == 302 and location == "/admin/")


@pytest.mark.parametrize("role", sorted(OPENS))
def test_each_staff_role_gets_exactly_its_pages(
    request: pytest.FixtureRequest, one_of_each: dict[str, Model], role: str
) -> None:
    client = _nobody_client() if role == "nobody" else request.getfixturevalue(f"{role}_client")
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == set(one_of_each), "a model in admin with no expected pages"
    opens = OPENS[role]
    wrong = []

    assert client.get("/admin/").status_code == 200
    for app in sorted({label.split(".")[0] for label in registered}):
        status = client.get(f"/admin/{app}/").status_code
        if status != (200 if app in APPS[role] else 404):
            wrong.append(f"/admin/{app}/ answered {status}")
    for label, obj in sorted(one_of_each.items()):
        for view, url in _pages(label, obj):
            response = client.get(url)
            location = response.get("Location", "")
            if view in opens.get(label, ()):
                if response.status_code != 200:
                    wrong.append(f"{url} answered {response.status_code} {location}")
            elif not _refused(response.status_code, location):
                wrong.append(f"{url} opened ({response.status_code} {location})")

    assert wrong == []
