"""How the dashboard and the dose history scale with the length of a patient's log.

Run from the project root:

    .venv/bin/python benchmarks/bench_pages.py [--requests 20] [--sizes 10,1000,10000]

It builds a throwaway SQLite database in /tmp (deleted afterwards), migrates it,
seeds the anakinra monograph, and gives one patient per size a once-daily therapy
with that many taken doses on distinct days. For "/" and "/doses/" it prints the
number of queries one request makes (CaptureQueriesContext) and the median wall
time of N requests through Django's test client (no network, no web server).
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported for real only after django.setup()
    from portal.models import User

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/", "/doses/"]


@dataclass(frozen=True)
class Result:
    doses: int
    page: str
    queries: int
    median_ms: float


def _configure(database: Path) -> None:
    """Point Django at the throwaway database before anything imports settings."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_ENV", "development")
    # DEBUG off as in production: no per-query logging inflating the timings.
    os.environ["DEBUG"] = "false"
    # whitenoise warns that collectstatic has not run: irrelevant to these numbers.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

    import django

    django.setup()
    from django.test.utils import setup_test_environment

    # Lets the test client's "testserver" host through ALLOWED_HOSTS, as in tests.
    setup_test_environment()


def _make_patient(doses: int) -> User:
    from monographs.models import Medicine
    from portal.models import User
    from tracking.models import CareRelationship, DoseLog, Patient, Therapy

    anakinra = Medicine.objects.get(slug="anakinra")
    regimen = anakinra.regimens.get(indication="Rheumatoid arthritis (RA)")
    account = User.objects.create_user(
        f"patient-{doses}@example.com", "bench-password-123", display_name=f"Patient {doses}"
    )
    patient = Patient.objects.create(name=f"Patient {doses}", time_zone="America/New_York")
    CareRelationship.objects.create(
        patient=patient, account=account, role=CareRelationship.Role.SELF
    )
    therapy = Therapy(
        patient=patient,
        medicine=anakinra,
        regimen=regimen,
        prescribed_dose=Decimal("100"),
        start_date=datetime.date.today() - datetime.timedelta(days=doses + 5),
    )
    therapy.full_clean()
    therapy.save()
    self_sites = list(anakinra.injection_sites.filter(needs_helper=False))
    yesterday = patient.today() - datetime.timedelta(days=1)
    rows = []
    for back, site in zip(range(doses), itertools.cycle(self_sites), strict=False):
        day = yesterday - datetime.timedelta(days=back)
        rows.append(
            DoseLog(
                patient=patient,
                therapy=therapy,
                status=DoseLog.Status.TAKEN,
                taken_at=datetime.datetime.combine(day, datetime.time(8), patient.zone),
                local_date=day,
                slot_time=datetime.time(8),
                dose_mg=therapy.dose_mg,
                site=site,
                entered_by=account,
            )
        )
    DoseLog.objects.bulk_create(rows, batch_size=1000)
    return account


def _measure(patient: User, doses: int, requests: int) -> list[Result]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(patient)
    results = []
    for page in PAGES:
        assert client.get(page).status_code == 200  # warm caches (templates, sites)
        # CaptureQueriesContext counts by the length of a bounded log: start it empty.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page)
        # Read the count now: the captured list is a view of the live log, which the
        # next request clears.
        queries = len(captured)
        assert response.status_code == 200, (page, response.status_code)
        timings = []
        for _ in range(requests):
            start = time.perf_counter()
            response = client.get(page)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        results.append(Result(doses, page, queries, statistics.median(timings)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--sizes", default="10,1000,10000", help="comma-separated numbers of logged doses"
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    handle, name = tempfile.mkstemp(prefix="kineret-bench-", suffix=".sqlite3", dir="/tmp")
    os.close(handle)
    database = Path(name)
    try:
        _configure(database)
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        call_command("seed_monographs", verbosity=0)
        print(f"SQLite {sqlite3.sqlite_version}, database {database}")
        print(f"median of {args.requests} requests after one warm-up request\n")
        print(f"{'doses':>7}  {'page':<8} {'queries':>7}  {'median ms':>9}")
        for size in sizes:
            patient = _make_patient(size)
            for result in _measure(patient, size, args.requests):
                print(
                    f"{result.doses:>7}  {result.page:<8} {result.queries:>7}  "
                    f"{result.median_ms:>9.1f}"
                )
        connection.close()
    finally:
        for suffix in ("", "-wal", "-shm", "-jobs"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
