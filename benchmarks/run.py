"""Every benchmark of the portal in one command; the results go to benchmarks/results/.

    .venv/bin/python benchmarks/run.py [--quick] [--patients N --days D]
        [--database-url postgres://postgres@127.0.0.1:5432/kineret_bench]

It makes throwaway databases (SQLite files in a /tmp folder, or the PostgreSQL database
named by --database-url and one beside it with "_small" added, which must not exist: it
creates them and drops them), loads them with seed_load_data, serves them with gunicorn
(2 sync workers, DEBUG off, benchmarks/settings.py) and drives them with wrk. README.md
says what each number means.
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import http.cookies
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
# The code measured: a copy of the checkout taken at the start (snapshot()), so that
# files edited while a run goes on do not change what it measures half-way.
SOURCE = ROOT
BARE = "/bench/bare/"
SIGNED_IN = ["/", "/doses/", "/labs/", "/side-effects/", "/summary/"]
PUBLIC = ["/medicines/anakinra/"]
QUICK_POST = "POST /doses/quick/"
MAIN_ACCOUNT = "load-00000@example.com"
PASSWORD = "load-data-password"  # seed_load_data's LOAD_PASSWORD
PROBE_DAYS = (30, 1095)
SMALL_PATIENTS = 8  # with the two probes, a database of 10 patients
WORKERS = 2
CONNECTIONS = 2
# One-tap logs prepared per second of a POST run: more than two workers manage.
POSTS_PER_SECOND = 120


@dataclass(frozen=True)
class Plan:
    patients: int
    days: int
    seed: int
    rounds: int
    seconds: int
    grid_seconds: int
    warmup_seconds: int
    profile_requests: int
    database_url: str
    keep: bool
    quick: bool


def parse_plan() -> Plan:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data, one short round")
    parser.add_argument("--patients", type=int, help="patients in the large database")
    parser.add_argument("--days", type=int, help="days of history of each")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, help="rounds of every request (median)")
    parser.add_argument("--seconds", type=int, help="seconds of wrk per request and round")
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL database to create and drop (default: SQLite files in /tmp)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    args = parser.parse_args()
    quick = args.quick
    return Plan(
        patients=args.patients or (50 if quick else 1000),
        days=args.days or (60 if quick else 365),
        seed=args.seed,
        rounds=args.rounds or (1 if quick else 3),
        seconds=args.seconds or (3 if quick else 10),
        grid_seconds=2 if quick else 5,
        warmup_seconds=1,
        profile_requests=5 if quick else 20,
        database_url=args.database_url,
        keep=args.keep,
        quick=quick,
    )


def log(message: str) -> None:
    print(f"[{datetime.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


class Database:
    """A throwaway database: made here, dropped at the end."""

    def __init__(self, plan: Plan, work: Path, suffix: str) -> None:
        self.postgres = bool(plan.database_url)
        if not self.postgres:
            self.path = work / f"{suffix}.sqlite3"
            self.url = f"sqlite:///{self.path}"
            return
        parts = urllib.parse.urlsplit(plan.database_url)
        if parts.scheme not in ("postgres", "postgresql"):
            raise SystemExit("--database-url must be a postgres:// URL")
        name = parts.path.lstrip("/") + ("" if suffix == "main" else f"_{suffix}")
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise SystemExit(f"Use a plain lower-case database name, not {name!r}")
        self.name = name
        self.url = urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
        self.admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))

    def _admin(self, sql: str, *params: str) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            cursor = connection.execute(sql.encode(), params or None)
            return cursor.fetchall() if cursor.description else []

    def create(self) -> None:
        if not self.postgres:
            return
        if self._admin("SELECT 1 FROM pg_database WHERE datname = %s", self.name):
            raise SystemExit(
                f"The database {self.name} exists. Name one that does not: run.py creates "
                "it and drops it afterwards."
            )
        self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self.postgres:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            for suffix in ("", "-wal", "-shm", "-jobs"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)


def django_env(database: Database, static_root: Path) -> dict[str, str]:
    # Nothing shared with the rest of the machine: no Redis, no other job store.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "JOBS_URL", "DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        DJANGO_ENV="development",
        DEBUG="false",
        DATABASE_URL=database.url,
        BENCH_STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(SOURCE),
        PYTHONWARNINGS="ignore",
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=SOURCE,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip()


def task(env: dict[str, str], *args: str) -> Any:
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(SOURCE / "benchmarks" / "tasks.py"), *args],
        cwd=SOURCE,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"tasks.py {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare(env: dict[str, str], plan: Plan, patients: int, days: int) -> dict[str, Any]:
    """Migrate and load one database: the patients, then the two growth-grid probes."""
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "createcachetable")
    manage(env, "seed_monographs", "-v0")
    seeded: dict[str, Any] = {}
    began = time.perf_counter()
    seeded["output"] = manage(
        env, "seed_load_data", f"--patients={patients}", f"--days={days}", f"--seed={plan.seed}"
    )
    seeded["seconds"] = round(time.perf_counter() - began, 1)
    for probe in PROBE_DAYS:
        manage(
            env,
            "seed_load_data",
            "--patients=1",
            f"--days={probe}",
            f"--seed={plan.seed}",
            f"--label=probe{probe}",
        )
    return seeded


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class Response:
    status: int
    headers: Any
    body: bytes


def fetch(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> Response:
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    try:
        with _opener.open(request, timeout=60) as answer:
            return Response(answer.status, answer.headers, answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers, error.read())


@contextmanager
def serve(env: dict[str, str], work: Path) -> Iterator[str]:
    """gunicorn as the Procfile starts it, on a free local port, until the block ends."""
    port = free_port()
    log_path = work / f"gunicorn-{port}.log"
    with log_path.open("w") as log_file:
        server = subprocess.Popen(  # noqa: S603
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(WORKERS),
                "--worker-class",
                "sync",
                "portal.wsgi",
            ],
            cwd=SOURCE,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None:
                    raise SystemExit(f"gunicorn stopped:\n{log_path.read_text()[-3000:]}")
                try:
                    if fetch(base + "/healthz").status == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not answer /healthz within 60 s")
                time.sleep(0.2)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _cookies(response: Response) -> dict[str, str]:
    jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def sign_in(base: str, email: str) -> str:
    """The sign-in page as a browser uses it; returns the Cookie header that follows."""
    page = fetch(base + "/accounts/login/")
    cookies = _cookies(page)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if page.status != 200 or token is None or "csrftoken" not in cookies:
        raise SystemExit(f"The sign-in page did not offer a form ({page.status})")
    form = urllib.parse.urlencode(
        {"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1).decode()}
    ).encode()
    answer = fetch(
        base + "/accounts/login/",
        {
            "Cookie": f"csrftoken={cookies['csrftoken']}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        form,
    )
    cookies.update(_cookies(answer))
    if answer.status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"Signing in as {email} failed ({answer.status})")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def check_page(base: str, cookie: str, path: str) -> int:
    """One request, as wrk will send it: it must be a 200, not a redirect to sign in."""
    answer = fetch(base + path, {"Cookie": cookie})
    if answer.status != 200:
        raise SystemExit(f"GET {path} answered {answer.status}: the benchmark would be wrong")
    return len(answer.body)


def wrk(
    url: str, seconds: float, *, cookie: str = "", posts: Path | None = None
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s"]
    command += ["-s", str(SOURCE / "benchmarks" / "wrk.lua")]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    env = {**os.environ, "BENCH_WRK_OUT": str(out), "BENCH_WRK_POSTS": str(posts or "")}
    try:
        subprocess.run([*command, url], env=env, capture_output=True, check=True)  # noqa: S603
        raw = json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)
    seconds_run = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "seconds": round(seconds_run, 2),
        "rps": round(raw["requests"] / seconds_run, 1) if seconds_run else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "mean_ms": round(raw["mean_us"] / 1000, 3),
        "not_200": raw["not_200"],
        "socket_errors": raw["socket_errors"],
    }


def post_run(
    base: str, env: dict[str, str], posts: Path, lines: int, seconds: float
) -> dict[str, Any]:
    """One run of one-tap logs; the doses they made are deleted again afterwards."""
    since = datetime.datetime.now(datetime.UTC).isoformat()
    result = wrk(base + "/doses/quick/", seconds, posts=posts)
    result["logged"] = task(env, "reset", f"--since={since}")["deleted"]
    result["prepared"] = lines
    return result


def page_rounds(
    base: str, env: dict[str, str], plan: Plan, cookie: str, work: Path
) -> dict[str, Any]:
    """Each request for plan.seconds, in turn, plan.rounds times; medians of the rounds."""
    prepared = task(
        env,
        "posts",
        f"--limit={POSTS_PER_SECOND * plan.seconds}",
        "--exclude",
        MAIN_ACCOUNT,
    )
    posts = work / "posts.tsv"
    posts.write_text("\n".join(prepared["lines"]) + "\n")
    lines = len(prepared["lines"])
    if lines < 10:
        raise SystemExit("Too few open dose slots for the one-tap benchmark: seed more patients")
    gets = [BARE, *SIGNED_IN, *PUBLIC]
    html_bytes = {path: check_page(base, cookie, path) for path in gets}
    log(f"warming up ({len(gets)} pages and the one-tap log)")
    for path in gets:
        wrk(base + path, plan.warmup_seconds, cookie=cookie)
    post_run(base, env, posts, lines, plan.warmup_seconds)
    runs: dict[str, list[dict[str, Any]]] = {f"GET {path}": [] for path in gets}
    runs[QUICK_POST] = []
    for number in range(plan.rounds):
        log(f"round {number + 1} of {plan.rounds}")
        for path in gets:
            runs[f"GET {path}"].append(wrk(base + path, plan.seconds, cookie=cookie))
        runs[QUICK_POST].append(post_run(base, env, posts, lines, plan.seconds))
    bare = statistics.median(run["p50_ms"] for run in runs[f"GET {BARE}"])
    table = []
    for name, rounds in runs.items():
        p50 = statistics.median(run["p50_ms"] for run in rounds)
        row = {
            "request": name,
            "p50_ms": p50,
            "p99_ms": statistics.median(run["p99_ms"] for run in rounds),
            "rps": statistics.median(run["rps"] for run in rounds),
            "ratio_to_bare": round(p50 / bare, 2) if bare else None,
            "not_200": sum(run["not_200"] + run["socket_errors"] for run in rounds),
            "rounds": rounds,
        }
        path = name.split(" ", 1)[1]
        if name.startswith("GET "):
            row["html_bytes"] = html_bytes[path]
        else:
            row["logged"] = sum(run["logged"] for run in rounds)
            row["requests"] = sum(run["requests"] for run in rounds)
        table.append(row)
    return {"bare_p50_ms": bare, "requests": table, "prepared_posts": lines}


def grid_runs(base: str, env: dict[str, str], plan: Plan, database: str) -> list[dict[str, Any]]:
    """Each signed-in page for a patient with 30 days and one with 3 years, side by side."""
    emails = {days: f"probe{days}-00000@example.com" for days in PROBE_DAYS}
    sessions = task(env, "sessions", *emails.values())["sessions"]
    cookies = {days: session["cookie"] for days, session in zip(PROBE_DAYS, sessions, strict=True)}
    counts = task(env, "queries", *emails.values())["pages"]
    bare = wrk(base + BARE, plan.grid_seconds, cookie=cookies[PROBE_DAYS[0]])["p50_ms"]
    rows = []
    for page in SIGNED_IN:
        for days in PROBE_DAYS:
            size = check_page(base, cookies[days], page)
            wrk(base + page, plan.warmup_seconds, cookie=cookies[days])
            run = wrk(base + page, plan.grid_seconds, cookie=cookies[days])
            rows.append(
                {
                    "database": database,
                    "history_days": days,
                    "page": page,
                    "p50_ms": run["p50_ms"],
                    "ratio_to_bare": round(run["p50_ms"] / bare, 2) if bare else None,
                    "bare_p50_ms": bare,
                    "queries": counts[emails[days]][page],
                    "html_bytes": size,
                }
            )
    return rows


class _Assets(HTMLParser):
    """What a browser fetches for a first load: stylesheets, scripts, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        rel = (found.get("rel") or "").split()
        if tag == "link" and ({"stylesheet", "icon"} & set(rel)) and found.get("href"):
            self.urls.append(found["href"] or "")
        elif tag in ("script", "img") and found.get("src"):
            self.urls.append(found["src"] or "")


def page_weight(base: str, cookie: str, path: str) -> dict[str, Any]:
    """Bytes of a first load with an empty cache: as sent, raw, and gzipped (level 6)."""
    plain = {"Cookie": cookie, "Accept-Encoding": "identity"}
    compressed = {"Cookie": cookie, "Accept-Encoding": "gzip, br"}
    page = fetch(base + path, plain)
    parser = _Assets()
    parser.feed(page.body.decode())
    pending = [urllib.parse.urljoin(base + path, url) for url in parser.urls]
    seen: set[str] = set()
    files = [("html", path, page.body, fetch(base + path, compressed).body)]
    while pending:
        url = pending.pop(0)
        if url in seen or not url.startswith(base):
            continue
        seen.add(url)
        raw = fetch(url, plain).body
        files.append(("asset", url.removeprefix(base), raw, fetch(url, compressed).body))
        if url.split("?")[0].endswith(".css"):
            for found in re.findall(rb"url\(\s*['\"]?([^'\")]+)", raw):
                if not found.startswith(b"data:"):
                    pending.append(urllib.parse.urljoin(url, found.decode()))
    rows = [
        {
            "kind": kind,
            "path": name,
            "bytes": len(raw),
            "gzip_bytes": len(gzip.compress(raw, 6)),
            "sent_bytes": len(sent),
        }
        for kind, name, raw, sent in files
    ]
    return {
        "page": path,
        "files": rows,
        "total_bytes": sum(row["bytes"] for row in rows),
        "total_gzip_bytes": sum(row["gzip_bytes"] for row in rows),
        "total_sent_bytes": sum(row["sent_bytes"] for row in rows),
        "html_bytes": rows[0]["bytes"],
        "html_gzip_bytes": rows[0]["gzip_bytes"],
        "html_sent_bytes": rows[0]["sent_bytes"],
    }


def reminder_sweep(env: dict[str, str]) -> dict[str, Any]:
    """The sweep as the job worker runs it: first, again at once (also traced), two at once."""
    first = task(env, "sweep")
    again = task(env, "sweep", f"--now={first['now']}")
    traced = task(env, "sweep", f"--now={first['now']}", "--trace")
    before = task(env, "deliveries")
    later = (
        datetime.datetime.fromisoformat(first["now"]) + datetime.timedelta(hours=3)
    ).isoformat()
    workers = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, str(SOURCE / "benchmarks" / "tasks.py"), "sweep", f"--now={later}"],
            cwd=SOURCE,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    answers = []
    for worker in workers:
        out, err = worker.communicate()
        if worker.returncode:
            raise SystemExit(f"A sweep worker failed:\n{err[-3000:]}")
        answers.append(json.loads(out.strip().splitlines()[-1]))
    after = task(env, "deliveries")
    return {
        "first": first,
        "again_nothing_new": again,
        "again_traced": traced,
        "two_workers": {
            "now": later,
            "runs": answers,
            "sent": sum(answer["sent"] for answer in answers),
            "claimed": after["claimed"] - before["claimed"],
            "claimed_twice": after["claimed_twice"],
        },
    }


def git(*args: str) -> str:
    done = subprocess.run(  # noqa: S603
        ["git", *args],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()


def machine() -> dict[str, Any]:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = found.group(1).strip() if found else ""
    version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)  # noqa: S607
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "wrk": (version.stdout or version.stderr).splitlines()[0],
    }


def run(plan: Plan, work: Path) -> dict[str, Any]:
    static_root = work / "static"
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(git("status", "--porcelain")),
        "machine": machine(),
        # Others may share the machine: the ratios hold better than the times.
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
        "plan": {
            "patients": plan.patients,
            "days": plan.days,
            "seed": plan.seed,
            "rounds": plan.rounds,
            "seconds": plan.seconds,
            "grid_seconds": plan.grid_seconds,
            "workers": WORKERS,
            "connections": CONNECTIONS,
            "quick": plan.quick,
        },
    }
    large = Database(plan, work, "main")
    large.create()
    try:
        env = django_env(large, static_root)
        log(f"loading {plan.patients} patients × {plan.days} days")
        results["seed"] = prepare(env, plan, plan.patients, plan.days)
        log(f"loaded in {results['seed']['seconds']} s")
        manage(env, "collectstatic", "--no-input", "-v0")
        results["software"] = task(env, "info")
        with serve(env, work) as base:
            cookie = sign_in(base, MAIN_ACCOUNT)
            results["pages"] = page_rounds(base, env, plan, cookie, work)
            log("growth grid, large database")
            results["grid"] = grid_runs(base, env, plan, f"{plan.patients + 2} patients")
            results["weight"] = [
                page_weight(base, "", "/accounts/login/"),
                *(page_weight(base, cookie, path) for path in [*SIGNED_IN, *PUBLIC]),
            ]
        log("queries and profile")
        counted = task(env, "queries", MAIN_ACCOUNT)
        for row in results["pages"]["requests"]:
            name = row["request"]
            path = name.split(" ", 1)[1]
            row["queries"] = (
                counted["quick_post"]
                if name == QUICK_POST
                else counted["pages"][MAIN_ACCOUNT].get(path)
            )
        results["profile"] = task(
            env, "profile", f"--email={MAIN_ACCOUNT}", f"--requests={plan.profile_requests}"
        )["pages"]
        log("reminder sweep")
        results["sweep"] = reminder_sweep(env)
    finally:
        if not plan.keep:
            large.drop()
    small = Database(plan, work, "small")
    small.create()
    try:
        env = django_env(small, static_root)
        log(f"growth grid, database of {SMALL_PATIENTS + 2} patients")
        prepare(env, plan, SMALL_PATIENTS, plan.days)
        with serve(env, work) as base:
            results["grid"] += grid_runs(base, env, plan, f"{SMALL_PATIENTS + 2} patients")
    finally:
        if not plan.keep:
            small.drop()
    if plan.keep:
        log(f"kept: {large.url} and {small.url}")
    results["load_average_at_end"] = [round(load, 2) for load in os.getloadavg()]
    return results


def _kb(size: int) -> str:
    return f"{size / 1024:.1f}"


def report(results: dict[str, Any]) -> str:
    plan, software, pages = results["plan"], results["software"], results["pages"]
    lines = [
        f"Kineret Portal benchmarks, {results['date']}",
        f"commit {results['commit']}"
        + (" with uncommitted changes" if results["uncommitted_changes"] else ""),
        f"machine: {results['machine']['cores']} cores, {results['machine']['cpu']}; "
        f"load average {results['load_average_at_start'][0]} at the start, "
        f"{results['load_average_at_end'][0]} at the end (1 minute)",
        f"Python {software['python']}, Django {software['django']}, "
        f"{software['engine']} {software['engine_version']}, {results['machine']['wrk']}",
        f"gunicorn {plan['workers']} sync workers, DEBUG off; wrk 1 thread, "
        f"{plan['connections']} connections",
        f"data: {results['seed']['output']}",
        "",
        f"Requests: median of {plan['rounds']} round(s) of {plan['seconds']} s each",
        f"{'request':<28} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'× bare':>7} "
        f"{'queries':>7} {'HTML KB':>8}",
    ]
    for row in pages["requests"]:
        html = _kb(row["html_bytes"]) if "html_bytes" in row else ""
        queries = "" if row.get("queries") is None else str(row["queries"])
        lines.append(
            f"{row['request']:<28} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{row['rps']:>8.1f} {row['ratio_to_bare']:>7.2f} {queries:>7} {html:>8}"
        )
    post = next(row for row in pages["requests"] if row["request"] == QUICK_POST)
    failures = sum(row["not_200"] for row in pages["requests"])
    lines += [
        f"one-tap logs: {post['logged']} doses logged, {post['requests']} answers counted "
        "(a POST in flight when wrk stops logs but is not counted); "
        f"{pages['prepared_posts']} open slots prepared per run; "
        f"answers other than 200: {failures}",
        "",
        "Growth grid: one patient with 30 days and one with 1095 days of history",
        f"{'database':<16} {'page':<15} {'30 d ms':>8} {'1095 d ms':>9} {'change':>7} "
        f"{'× bare':>13} {'queries':>9} {'HTML KB':>13}",
    ]
    grid = results["grid"]
    for database in dict.fromkeys(row["database"] for row in grid):
        for page in SIGNED_IN:
            short, long_ = (
                next(
                    r
                    for r in grid
                    if r["database"] == database and r["page"] == page and r["history_days"] == d
                )
                for d in PROBE_DAYS
            )
            change = 100 * (long_["p50_ms"] / short["p50_ms"] - 1) if short["p50_ms"] else 0
            lines.append(
                f"{database:<16} {page:<15} {short['p50_ms']:>8.2f} {long_['p50_ms']:>9.2f} "
                f"{change:>+6.0f}% {short['ratio_to_bare']:>6.2f}/{long_['ratio_to_bare']:<6.2f}"
                f" {short['queries']:>4}/{long_['queries']:<4}"
                f" {_kb(short['html_bytes']):>6}/{_kb(long_['html_bytes']):<6}"
            )
    sweep = results["sweep"]
    two = sweep["two_workers"]
    lines += [
        "",
        "Reminder sweep (tracking.reminders.send_due_reminders, in one process)",
        f"first run:               {sweep['first']['seconds']:>7.2f} s "
        f"{sweep['first']['statements']:>8} statements, {sweep['first']['sent']} sent",
        f"again at once (all sent): {sweep['again_nothing_new']['seconds']:>6.2f} s "
        f"{sweep['again_nothing_new']['statements']:>8} statements, "
        f"{sweep['again_nothing_new']['sent']} sent",
        f"peak memory: {sweep['again_traced']['peak_mib']} MiB traced by tracemalloc (run "
        f"again under it: {sweep['again_traced']['seconds']} s); the process's peak RSS "
        f"{sweep['first']['peak_rss_before_mib']} MiB before the first run, "
        f"{sweep['first']['peak_rss_mib']} MiB after",
        f"two workers at once, 3 h later: {two['sent']} sent for {two['claimed']} "
        f"reminders claimed ({' + '.join(str(r['sent']) for r in two['runs'])}); "
        f"claimed twice: {two['claimed_twice']}",
        "",
        "Page weight of a first load (empty cache): HTML + CSS + JS + images, KB",
        f"{'page':<22} {'HTML':>6} {'gzip':>6} {'sent':>6} {'total':>7} {'gzip':>6} {'sent':>6}",
    ]
    for weight in results["weight"]:
        lines.append(
            f"{weight['page']:<22} {_kb(weight['html_bytes']):>6} "
            f"{_kb(weight['html_gzip_bytes']):>6} {_kb(weight['html_sent_bytes']):>6} "
            f"{_kb(weight['total_bytes']):>7} {_kb(weight['total_gzip_bytes']):>6} "
            f"{_kb(weight['total_sent_bytes']):>6}"
        )
    assets = results["weight"][0]["files"][1:]
    lines.append("files: " + ", ".join(f"{f['path']} {_kb(f['bytes'])}" for f in assets))
    lines += ["", "Where the time goes (cProfile, in process; shares overlap)"]
    for name, profiled in results["profile"].items():
        shares = ", ".join(f"{key} {value}%" for key, value in profiled["share_percent"].items())
        lines.append(f"{name} ({profiled['ms_per_request_profiled']} ms profiled): {shares}")
        lines.append("  most time in the project's code (with what it calls):")
        lines += [f"    {line}" for line in profiled["top_project_cumulative"][:6]]
        lines.append("  most time in any one function (its own):")
        lines += [f"    {line}" for line in profiled["top_own_time"][:5]]
    return "\n".join(lines) + "\n"


def snapshot(work: Path) -> Path:
    """Copy the checkout's files (tracked, and new ones not ignored) into work/source."""
    source = work / "source"
    for name in git("ls-files", "--cached", "--others", "--exclude-standard").splitlines():
        path = ROOT / name
        if path.is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, source / name)
    return source


def main() -> None:
    global SOURCE
    plan = parse_plan()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (see benchmarks/README.md)")
    work = Path(tempfile.mkdtemp(prefix="kineret-bench-", dir="/tmp"))
    try:
        SOURCE = snapshot(work)
        results = run(plan, work)
    finally:
        if plan.keep:
            log(f"kept the folder {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    engine = results["software"]["engine"]
    name = f"{results['date'][:10]}-{results['commit']}-{engine}-{plan.patients}x{plan.days}"
    RESULTS.mkdir(exist_ok=True)
    text = report(results)
    (RESULTS / f"{name}.txt").write_text(text)
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=1) + "\n")
    print(text)
    log(f"written: benchmarks/results/{name}.txt and .json")


if __name__ == "__main__":
    main()
