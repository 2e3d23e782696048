"""Who may see what: the patient middleware, the switcher, and a walk of every tracking URL.

The rule every page keeps: an account sees only the patients it acts for now. Any other
patient's page or object is a 404, including a child's whose caregiver access has ended.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from pytest_django import Settings

from monographs.models import LabRule
from portal.models import User
from tests.conftest import patient_of
from tests.pages import attr, is_login_redirect, select, select_one, words
from tests.world import PASSWORD, LogDose, new_report, new_result, new_york
from tracking.access import preferences_for
from tracking.models import (
    CaregiverInvitation,
    CareRelationship,
    DoseLog,
    LabResult,
    Patient,
    SideEffectReport,
    Therapy,
    Weight,
)
from tracking.views.account import EMAIL_CHANGE_SALT

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.usefixtures("clock")

# Public on purpose: the secret in the address is the key, and neither names a patient
# to someone who does not already hold the link.
PUBLIC = {"lab-calendar", "invitation-accept"}
# Asked by the page's own script, not opened: signed out, it answers 401, not a redirect.
FOR_SCRIPTS = {"session"}


# --- the URL map ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str

    @property
    def args(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.pattern)


def tracking_routes() -> list[Route]:
    """Every URL pattern of the tracking app, the /p/<patient>/ copies included."""
    routes: list[Route] = []

    def walk(entries: Iterable[URLPattern | URLResolver], prefix: str, app: str | None) -> None:
        for entry in entries:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern), entry.app_name or app)
            elif app == "tracking" and entry.name:
                routes.append(Route(entry.name, prefix + str(entry.pattern)))

    walk(get_resolver().url_patterns, "", None)
    return routes


@dataclass
class AlicesWorld:
    """One real object of alice's for every kind of id a tracking URL can hold."""

    patient: Patient
    values: dict[tuple[str, str], object]
    secrets: list[str]

    def url(self, route: Route) -> str:
        kwargs: dict[str, object] = {}
        for arg in route.args:
            if arg == "patient_uuid":
                kwargs[arg] = self.patient.uuid
            elif (route.name, arg) in self.values:
                kwargs[arg] = self.values[(route.name, arg)]
            else:
                pytest.fail(
                    f"The walk has no object of alice's for <{arg}> in tracking:{route.name}: "
                    "add one to the alices_world fixture."
                )
        return reverse(f"tracking:{route.name}", kwargs=kwargs)

    def urls(self, *, naming_her: bool) -> list[str]:
        """Every URL that names her patient or one of her objects (or every other one)."""
        return [
            self.url(route)
            for route in tracking_routes()
            if route.name not in PUBLIC and bool(route.args) == naming_her
        ]


@pytest.fixture
def alices_world(
    alice: User, alice_therapy: Therapy, anc_rule: LabRule, log_dose: LogDose
) -> AlicesWorld:
    patient = alice_therapy.patient
    dose = log_dose(alice_therapy, new_york(2026, 11, 18, 8))
    report = new_report(patient, other="Alice's private note", dose=dose)
    result = new_result(patient, anc_rule, month=1, value=2500, taken_on=alice_therapy.start_date)
    care = CareRelationship.objects.get(patient=patient, account=alice)
    invitation = CaregiverInvitation.objects.create(
        patient=patient, invited_by=alice, email="helper@example.com"
    )
    calendar_token = preferences_for(alice).calendar_token
    values: dict[tuple[str, str], object] = {
        ("therapy-edit", "uuid"): alice_therapy.uuid,
        ("dose-edit", "uuid"): dose.uuid,
        ("dose-delete", "uuid"): dose.uuid,
        ("side-effect-detail", "uuid"): report.uuid,
        ("lab-result", "uuid"): result.uuid,
        ("care-end", "pk"): care.pk,
        ("invitation-accept", "token"): invitation.token(),
        ("lab-calendar", "token"): calendar_token,
        ("email-confirm", "token"): signing.dumps(
            {"account": alice.pk, "old": alice.email, "new": "alice.new@example.com"},
            salt=EMAIL_CHANGE_SALT,
        ),
    }
    secrets = [
        str(patient.uuid),
        str(alice_therapy.uuid),
        str(dose.uuid),
        str(report.uuid),
        str(result.uuid),
        "Alice's private note",
    ]
    return AlicesWorld(patient, values, secrets)


def _answer(client: Client, url: str) -> TestResponse:
    """What the page answers to the method it takes: GET, or POST for a POST-only page."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    return response


def _text(response: TestResponse) -> str:
    """The body as text, a download's too."""
    return response.getvalue().decode()


def _holdings(patient: Patient) -> dict[str, object]:
    """Everything of the patient's that a request could change."""
    return {
        "doses": list(
            DoseLog.objects.filter(patient=patient).values_list("pk", "status", "taken_at", "note")
        ),
        "reports": SideEffectReport.objects.filter(patient=patient).count(),
        "results": LabResult.objects.filter(patient=patient).count(),
        "therapies": list(
            Therapy.objects.filter(patient=patient).values_list("pk", "updated_at", "end_date")
        ),
        "weights": Weight.objects.filter(patient=patient).count(),
        "care": list(
            CareRelationship.objects.filter(patient=patient).values_list("pk", "ended_at")
        ),
        "invitations": list(
            CaregiverInvitation.objects.filter(patient=patient).values_list("pk", "accepted_at")
        ),
    }


def _end_access(patient: Patient, email: str, *, helps_someone_else: bool) -> User:
    """A caregiver of the patient whose access has ended."""
    account = User.objects.create_user(email, PASSWORD, display_name="Eve")
    if helps_someone_else:
        patient_of(account)
    care = CareRelationship.objects.create(
        patient=patient, account=account, role=CareRelationship.Role.CAREGIVER
    )
    care.ended_at = timezone.now()
    care.save()
    return account


# --- the walk ------------------------------------------------------------------------------


def test_the_walk_covers_both_addresses_of_every_patient_page() -> None:
    routes = tracking_routes()
    named = {r.name for r in routes if r.pattern.startswith("p/<uuid:patient_uuid>/")}
    short = {r.name for r in routes if not r.pattern.startswith("p/")}

    assert {"dashboard", "dose-edit", "side-effect-detail", "caregivers", "care-end"} <= named
    assert named <= short  # every named page also answers at its short path
    assert {"setup", "account", *PUBLIC} <= short - named


def test_anonymous_visitors_are_sent_to_sign_in_except_on_the_public_pages(
    client: Client, alices_world: AlicesWorld
) -> None:
    before = _holdings(alices_world.patient)

    for route in tracking_routes():
        url = alices_world.url(route)
        if route.name in PUBLIC:
            response = client.get(url)
            assert response.status_code == 200, url
            continue
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if route.name in FOR_SCRIPTS:
                assert response.status_code == 401, (method, url)
                continue
            assert response.status_code == 405 or is_login_redirect(response, url), (method, url)

    assert _holdings(alices_world.patient) == before


def test_alice_reaches_every_page_the_walk_asks_for(
    alice_client: Client, alices_world: AlicesWorld
) -> None:
    """The walk's ids are real: her own requests are answered, not 404s."""
    for route in tracking_routes():
        url = alices_world.url(route)
        response = alice_client.get(url)
        assert response.status_code in (200, 405), (url, response.status_code)


@pytest.mark.usefixtures("bob_therapy")
def test_bob_gets_404_for_every_url_that_names_alices_patient_or_object(
    bob_client: Client, alices_world: AlicesWorld
) -> None:
    before = _holdings(alices_world.patient)

    for url in alices_world.urls(naming_her=True):
        assert _answer(bob_client, url).status_code == 404, url
        # Whatever the method, nothing is answered and nothing changes.
        for method in ("post", "put", "delete"):
            assert getattr(bob_client, method)(url).status_code in (404, 405), (method, url)
    # His own pages at the short paths never show anything of hers.
    for url in alices_world.urls(naming_her=False):
        content = _text(_answer(bob_client, url))
        assert not [secret for secret in alices_world.secrets if secret in content], url

    assert _holdings(alices_world.patient) == before


@pytest.mark.parametrize(
    "helps_someone_else", [False, True], ids=["helps no one now", "helps another"]
)
def test_a_caregiver_whose_access_ended_gets_404_everywhere(
    client: Client, alices_world: AlicesWorld, helps_someone_else: bool
) -> None:
    ended = _end_access(
        alices_world.patient, "eve@example.com", helps_someone_else=helps_someone_else
    )
    client.force_login(ended)
    before = _holdings(alices_world.patient)

    for url in alices_world.urls(naming_her=True):
        assert _answer(client, url).status_code == 404, url
        assert client.post(url).status_code in (404, 405), url
    for url in alices_world.urls(naming_her=False):
        content = _text(_answer(client, url))
        assert not [secret for secret in alices_world.secrets if secret in content], url

    assert _holdings(alices_world.patient) == before


# --- the middleware ------------------------------------------------------------------------


class ZoneSpy:
    """Notes the active time zone as each view is about to run (after PatientMiddleware)."""

    seen: list[tuple[str, str]] = []

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: object, args: object, kwargs: object
    ) -> None:
        ZoneSpy.seen.append((request.path, timezone.get_current_timezone_name()))


@pytest.fixture
def zone_spy(settings: Settings) -> list[tuple[str, str]]:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.ZoneSpy"]
    ZoneSpy.seen = []
    return ZoneSpy.seen


def test_the_patients_zone_is_active_for_every_patient_page_and_not_after(
    alice_client: Client, alices_world: AlicesWorld, zone_spy: list[tuple[str, str]]
) -> None:
    alices_world.patient.time_zone = "Asia/Tokyo"
    alices_world.patient.save()
    pages = [
        alices_world.url(route)
        for route in tracking_routes()
        if route.pattern.startswith("p/") or route.name not in {"setup", *PUBLIC}
    ]

    for url in pages:
        alice_client.get(url)
        # Deactivated once the response is made: the next request starts from UTC.
        assert timezone.get_current_timezone_name() == "UTC", url

    seen = dict(zone_spy)
    assert {url: seen.get(url) for url in pages} == dict.fromkeys(pages, "Asia/Tokyo")


def test_each_patients_own_zone_is_the_one_activated(
    sam_client: Client, mia: Patient, leo: Patient, zone_spy: list[tuple[str, str]]
) -> None:
    leo.time_zone = "Pacific/Auckland"
    leo.save()

    sam_client.get(f"/p/{leo.uuid}/doses/")
    sam_client.get(f"/p/{mia.uuid}/doses/")
    sam_client.get("/doses/")  # the last viewed: mia

    assert [zone for _, zone in zone_spy] == [
        "Pacific/Auckland",
        "America/New_York",
        "America/New_York",
    ]


@pytest.mark.usefixtures("bob_therapy")
def test_the_zone_is_deactivated_after_a_refused_request_too(
    bob_client: Client, alices_world: AlicesWorld
) -> None:
    bob_client.get(f"/p/{alices_world.patient.uuid}/doses/")

    assert timezone.get_current_timezone_name() == "UTC"


def test_an_account_with_no_patients_has_none_and_is_sent_to_set_up(
    bob_client: Client,
) -> None:
    account = bob_client.get("/account/")

    assert account.status_code == 200
    request = account.wsgi_request
    assert (request.patient, request.care, request.care_list) == (None, None, [])  # type: ignore[attr-defined]
    for url in ("/", "/doses/", "/side-effects/", "/labs/", "/summary/", "/caregivers/"):
        response = bob_client.get(url)
        assert (response.status_code, response["Location"]) == (302, "/setup/"), url
    htmx = bob_client.get("/doses/", HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == "/setup/"


def test_an_anonymous_request_has_no_patient(client: Client, db: None) -> None:
    request = client.get("/medicines/").wsgi_request

    assert request.patient is None  # type: ignore[attr-defined]


@pytest.mark.usefixtures("leo")
def test_the_request_carries_the_patient_the_address_names(
    sam_client: Client, mia: Patient, leo: Patient
) -> None:
    request = sam_client.get(f"/p/{mia.uuid}/doses/").wsgi_request

    assert request.patient == mia  # type: ignore[attr-defined]
    assert request.care.role == CareRelationship.Role.GUARDIAN  # type: ignore[attr-defined]
    assert [care.patient for care in request.care_list] == [leo, mia]  # type: ignore[attr-defined]


def test_a_patient_uuid_that_names_no_one_is_a_404(sam_client: Client, mia: Patient) -> None:
    assert sam_client.get(f"/p/{mia.uuid}/").status_code == 200
    assert sam_client.get("/p/00000000-0000-0000-0000-000000000000/").status_code == 404


# --- short paths and named pages -------------------------------------------------------------


def _shown(response: TestResponse) -> str:
    return words(select_one(response, ".switcher__current"))


@pytest.mark.usefixtures("mia_therapy", "leo_therapy")
def test_short_paths_follow_the_last_viewed_patient(
    sam_client: Client, mia: Patient, leo: Patient
) -> None:
    # Never viewed one: the first by name.
    assert _shown(sam_client.get("/doses/")) == "Showing Leo"

    sam_client.get(f"/p/{mia.uuid}/summary/")
    assert _shown(sam_client.get("/doses/")) == "Showing Mia"
    assert "Mia" in words(select_one(sam_client.get("/side-effects/"), "h1"))

    sam_client.get(f"/p/{leo.uuid}/")
    assert _shown(sam_client.get("/doses/")) == "Showing Leo"


def test_the_own_record_comes_first_when_nothing_was_viewed(
    alice_client: Client, alice: User, alice_patient: Patient
) -> None:
    ada = Patient.objects.create(name="Ada")  # before Alice by name
    CareRelationship.objects.create(
        patient=ada, account=alice, role=CareRelationship.Role.GUARDIAN
    )

    assert _shown(alice_client.get("/doses/")) == "Showing Alice"


@pytest.mark.usefixtures("mia_therapy", "leo_therapy")
def test_a_page_that_names_its_patient_never_shows_another(
    sam_client: Client, mia: Patient, leo: Patient
) -> None:
    sam_client.get(f"/p/{leo.uuid}/")  # leo in another tab, viewed last

    response = sam_client.get(f"/p/{mia.uuid}/doses/")

    assert _shown(response) == "Showing Mia"
    assert response.wsgi_request.patient == mia  # type: ignore[attr-defined]
    # Every link of the main menu to a patient page stays with mia.
    links = [attr(a, "href") for a in select(response, 'nav[aria-label="Main"] a')]
    patient_links = [href for href in links if href.startswith("/p/")]
    assert len(patient_links) == 5  # Today, Doses, Side effects, Blood tests, Summary
    assert all(href.startswith(f"/p/{mia.uuid}/") for href in patient_links)
    # Leo appears only as the switcher's way to him.
    outside = response.content.decode().replace(f'href="/p/{leo.uuid}/"', "")
    assert str(leo.uuid) not in outside


# --- the switcher --------------------------------------------------------------------------


@pytest.mark.usefixtures("leo")
def test_the_switcher_lists_each_patient_and_marks_the_one_shown(
    sam_client: Client, mia: Patient, leo: Patient
) -> None:
    response = sam_client.get(f"/p/{mia.uuid}/")

    switcher = select_one(response, 'nav[aria-label="Patients"]')
    assert words(select_one(switcher, ".switcher__current")) == "Showing Mia"
    assert [(words(a), attr(a, "href"), a.get("aria-current")) for a in switcher.select("a")] == [
        ("Leo", f"/p/{leo.uuid}/", None),
        ("Mia", f"/p/{mia.uuid}/", "true"),
    ]


@pytest.mark.usefixtures("leo")
def test_switching_shows_the_other_patient(sam_client: Client, mia: Patient, leo: Patient) -> None:
    page = sam_client.get(f"/p/{mia.uuid}/")
    to_leo = select_one(page, 'nav[aria-label="Patients"] a:not([aria-current])')

    response = sam_client.get(attr(to_leo, "href"))

    assert _shown(response) == "Showing Leo"
    assert select_one(response, 'nav[aria-label="Patients"] a[aria-current]').text == "Leo"


def test_a_caregiver_of_one_patient_sees_whom_without_a_list(
    una_client: Client, mia: Patient
) -> None:
    response = una_client.get("/")

    switcher = select_one(response, 'nav[aria-label="Patients"]')
    assert words(switcher) == "Showing Mia"
    assert switcher.select("a") == []


def test_an_adult_with_only_their_own_record_has_no_switcher(
    alice_client: Client, alice_patient: Patient
) -> None:
    response = alice_client.get("/")

    assert response.status_code == 200
    assert select(response, 'nav[aria-label="Patients"]') == []
