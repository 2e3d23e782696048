"""The in-process parts of the benchmarks, one subcommand each; run.py calls them.

    python benchmarks/tasks.py <task> [options]

Each runs with DJANGO_SETTINGS_MODULE=benchmarks.settings against the database in
DATABASE_URL and prints one JSON document on stdout:

- info: the database engine and version, the core count, Python and Django versions;
- sessions EMAIL...: a signed-in session and a CSRF secret for each account, made the
  way the test client's force_login makes them (no password hashing);
- posts --limit N --exclude EMAIL...: one-tap logs ready to send, one per open slot of
  today or yesterday, each with its own account's session;
- reset --since ISO: delete the doses the one-tap logs made (they have a submission id);
- queries EMAIL...: the SQL statements of one request per page, after a warm-up;
- profile EMAIL --requests N: cProfile over N requests per page: where the time goes;
- sweep [--now ISO] [--trace]: one reminder sweep's wall time, statements, the
  process's peak resident memory and (with --trace) tracemalloc's peak;
- deliveries: how many reminders were claimed and sent, and any claimed twice.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import functools
import json
import os
import platform
import pstats
import resource
import sys
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/", "/doses/", "/labs/", "/side-effects/", "/summary/", "/medicines/anakinra/"]
QUICK = "/doses/quick/"


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()


def _client(email: str | None = None) -> Any:
    """A test client that goes through every middleware, as gunicorn's requests do.

    Not setup_test_environment(): its instrumented template rendering (and the copies
    of each context the client keeps) would be most of what a profile shows.
    """
    from django.test import Client

    from portal.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    if email is not None:
        client.force_login(User.objects.get(email=email))
    return client


class StatementCounter:
    """connection.execute_wrapper: counts every statement, DEBUG or not."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def counting() -> Iterator[StatementCounter]:
    from django.db import connection

    counter = StatementCounter()
    with connection.execute_wrapper(counter):
        yield counter


def info(_: argparse.Namespace) -> dict[str, Any]:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return {
        "engine": connection.vendor,
        "engine_version": version,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "machine": platform.machine(),
    }


def _session(email: str) -> dict[str, str]:
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string

    client = _client(email)
    # A CSRF cookie holds the secret; the header may carry it unmasked.
    secret = _get_new_csrf_string()
    cookie = (
        f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}; "
        f"{settings.CSRF_COOKIE_NAME}={secret}"
    )
    return {"email": email, "cookie": cookie, "csrf": secret}


def sessions(args: argparse.Namespace) -> dict[str, Any]:
    return {"sessions": [_session(email) for email in args.emails]}


def open_slots(limit: int, exclude: set[str]) -> list[dict[str, str]]:
    """Slots of today or yesterday with nothing logged, each as a one-tap form names it."""
    from tracking.access import therapies_for
    from tracking.models import CareRelationship, DoseLog, slots_between

    found: list[dict[str, str]] = []
    care = (
        CareRelationship.objects.filter(ended_at=None, account__email__startswith="load-")
        .exclude(account__email__in=exclude)
        .select_related("patient", "account")
        .order_by("patient_id")
    )
    for relationship in care.iterator(chunk_size=500):
        patient = relationship.patient
        today = patient.today()
        yesterday = today - datetime.timedelta(days=1)
        therapies = therapies_for(patient)
        doses = list(DoseLog.objects.for_patient(patient).between(yesterday, today))
        for slot in slots_between(therapies, yesterday, today, doses):
            if slot.is_logged:
                continue
            # A guardian acts for two children: the address names which one.
            path = QUICK if relationship.is_self else f"/p/{patient.uuid}{QUICK}"
            found.append(
                {
                    "email": relationship.account.email,
                    "path": path,
                    "therapy": str(slot.therapy.uuid),
                    "slot": slot.key,
                }
            )
            if len(found) >= limit:
                return found
    return found


def posts(args: argparse.Namespace) -> dict[str, Any]:
    slots = open_slots(args.limit, set(args.exclude))
    signed_in: dict[str, dict[str, str]] = {}
    lines = []
    for slot in slots:
        session = signed_in.get(slot["email"]) or _session(slot["email"])
        signed_in[slot["email"]] = session
        body = f"therapy={slot['therapy']}&slot={slot['slot']}&submission_id={uuid.uuid4()}"
        lines.append(f"{slot['path']}\t{session['cookie']}\t{session['csrf']}\t{body}")
    return {"lines": lines, "accounts": len(signed_in)}


def reset(args: argparse.Namespace) -> dict[str, Any]:
    from tracking.models import DoseLog

    since = datetime.datetime.fromisoformat(args.since)
    made = DoseLog.objects.filter(created_at__gte=since, submission_id__isnull=False)
    _, deleted = made.delete()
    return {"deleted": deleted.get("tracking.DoseLog", 0)}


def _post_data(slot: dict[str, str]) -> dict[str, str]:
    return {"therapy": slot["therapy"], "slot": slot["slot"], "submission_id": str(uuid.uuid4())}


def queries(args: argparse.Namespace) -> dict[str, Any]:
    from django.utils import timezone

    from tracking.models import DoseLog

    started = timezone.now()
    counts: dict[str, dict[str, int]] = {}
    for email in args.emails:
        client = _client(email)
        counts[email] = {}
        for page in PAGES:
            assert client.get(page).status_code == 200, (email, page)
            with counting() as counter:
                response = client.get(page)
            assert response.status_code == 200, (email, page, response.status_code)
            counts[email][page] = counter.count
    quick: int | None = None
    slots = open_slots(2, set(args.emails))
    if len(slots) == 2:
        # The first logs a dose to warm up; the second is counted.
        for number, slot in enumerate(slots):
            client = _client(slot["email"])
            data = _post_data(slot)
            with counting() as counter:
                response = client.post(slot["path"], data, HTTP_HX_REQUEST="true")
            assert response.status_code == 200
            assert DoseLog.objects.filter(submission_id=data["submission_id"]).exists(), slot
            if number == 1:
                quick = counter.count
    reset(argparse.Namespace(since=started.isoformat()))
    return {"pages": counts, "quick_post": quick}


# Where a request's time goes: the cumulative time of these functions, as a share of
# the whole request. They overlap (templates run queries, forms render templates).
SHARES = {
    "SQL (compile, execute, fetch)": ("django/db/models/sql/compiler.py", "execute_sql"),
    "templates": ("django/template/base.py", "render"),
    "forms and widgets (their templates)": ("django/forms/renderers.py", "render"),
    "Markdown to safe HTML": ("monographs/text.py", "render_markdown"),
    "session save": ("django/contrib/sessions/backends/db.py", "save"),
    "view (inside the middleware)": ("django/core/handlers/base.py", "_get_response"),
}


def _shares(stats: pstats.Stats, total: float) -> dict[str, float]:
    found: dict[str, float] = {}
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for name, (suffix, function) in SHARES.items():
        best = 0.0
        for (filename, _, funcname), (_, _, _, cumulative, _) in raw.items():
            if funcname == function and filename.endswith(suffix):
                best = max(best, cumulative)
        found[name] = round(100 * best / total, 1) if total else 0.0
    return found


def _top(stats: pstats.Stats, total: float, *, own_code: bool, count: int) -> list[str]:
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    rows = []
    for (filename, line, funcname), (_, calls, own, cumulative, _) in raw.items():
        inside = filename.startswith(str(ROOT)) and "/.venv/" not in filename
        # The middleware chain and decorators hold every request: they say nothing.
        if own_code and (not inside or funcname in ("__call__", "wrapper")):
            continue
        where = filename.replace(str(ROOT) + "/", "").replace(sys.prefix, "venv")
        if "site-packages/" in where:
            where = where.split("site-packages/", 1)[1]
        value = cumulative if own_code else own
        rows.append(
            (value, f"{100 * value / total:5.1f}%  {calls:>6} calls  {where}:{line} {funcname}")
        )
    rows.sort(reverse=True)
    return [text for _, text in rows[:count]]


def profile(args: argparse.Namespace) -> dict[str, Any]:
    from django.utils import timezone

    started = timezone.now()
    client = _client(args.email)
    pages: dict[str, Any] = {}
    targets: list[tuple[str, Callable[[], Any]]] = [
        (page, functools.partial(client.get, page)) for page in ["/bench/bare/", *PAGES]
    ]
    slots = open_slots(args.requests + 1, {args.email})
    if len(slots) == args.requests + 1:
        # One client, its cookies swapped per account: a new client would load every
        # middleware again (whitenoise reads each static file's headers) inside the profile.
        poster = _client()
        cookies = {slot["email"]: _session(slot["email"])["cookie"] for slot in slots}
        pending = iter(slots)

        def quick() -> Any:
            slot = next(pending)
            poster.cookies.load(cookies[slot["email"]])
            return poster.post(slot["path"], _post_data(slot), HTTP_HX_REQUEST="true")

        targets.append(("POST " + QUICK, quick))
    for name, send in targets:
        assert send().status_code == 200, name  # warm-up
        profiler = cProfile.Profile()
        begun = time.perf_counter()
        profiler.enable()
        for _ in range(args.requests):
            send()
        profiler.disable()
        wall = time.perf_counter() - begun
        stats = pstats.Stats(profiler)
        total: float = stats.total_tt  # type: ignore[attr-defined]
        pages[name] = {
            "requests": args.requests,
            "ms_per_request_profiled": round(1000 * wall / args.requests, 2),
            "share_percent": _shares(stats, total),
            "top_own_time": _top(stats, total, own_code=False, count=12),
            "top_project_cumulative": _top(stats, total, own_code=True, count=12),
        }
    reset(argparse.Namespace(since=started.isoformat()))
    return {"pages": pages}


def _peak_rss_mib() -> float:
    # Linux reports ru_maxrss in KiB.
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def sweep(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from tracking.reminders import send_due_reminders

    now = datetime.datetime.fromisoformat(args.now) if args.now else timezone.now()
    connection.ensure_connection()
    rss_before = _peak_rss_mib()
    if args.trace:
        tracemalloc.start()
    begun = time.perf_counter()
    with counting() as counter:
        sent = send_due_reminders(now)
    seconds = time.perf_counter() - begun
    result: dict[str, Any] = {
        "now": now.isoformat(),
        "sent": sent,
        "seconds": round(seconds, 2),
        "statements": counter.count,
        "peak_rss_mib": _peak_rss_mib(),
        "peak_rss_before_mib": rss_before,
    }
    if args.trace:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["peak_mib"] = round(peak / 2**20, 1)
    return result


def deliveries(_: argparse.Namespace) -> dict[str, Any]:
    from django.db.models import Count

    from tracking.models import ReminderDelivery

    twice = (
        ReminderDelivery.objects.values("account", "patient", "reason", "due_date", "slot")
        .annotate(copies=Count("id"))
        .filter(copies__gt=1)
        .count()
    )
    return {
        "claimed": ReminderDelivery.objects.count(),
        "sent": ReminderDelivery.objects.exclude(sent_at=None).count(),
        "claimed_twice": twice,
    }


TASKS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "info": info,
    "sessions": sessions,
    "posts": posts,
    "reset": reset,
    "queries": queries,
    "profile": profile,
    "sweep": sweep,
    "deliveries": deliveries,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("emails", nargs="*")
    parser.add_argument("--email", default="")
    parser.add_argument("--exclude", nargs="*", default=[])
    parser.add_argument("--limit", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--since", default="")
    parser.add_argument("--now", default="")
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    _setup()
    print(json.dumps(TASKS[args.task](args)))


if __name__ == "__main__":
    main()
