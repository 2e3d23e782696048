"""The installable web app: manifest, icons, service worker at the site root, offline page."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.contrib.staticfiles import finders
from django.test import Client, override_settings

from tests.pages import attr, select_one


def test_the_service_worker_is_served_from_the_root_and_never_cached(client: Client) -> None:
    response = client.get("/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    # Precaches the offline page and static files only.
    precached = re.search(r"const ASSETS = \[(.*?)\];", body, re.S)
    assert precached is not None
    entries = re.findall(r'"([^"]+)"', precached.group(1))
    assert all(entry.startswith("/static/") for entry in entries)
    assert "OFFLINE_URL" in precached.group(1)
    assert 'const OFFLINE_URL = "/offline/"' in body


def _cache_name(client: Client) -> str:
    found = re.search(
        r'const CACHE = "(kineret-static-\w+)"', client.get("/sw.js").content.decode()
    )
    assert found is not None
    return found.group(1)


def test_the_cache_name_changes_when_the_static_files_do(client: Client) -> None:
    first = _cache_name(client)
    with override_settings(STATIC_URL="/assets/"):
        assert _cache_name(client) != first


def test_the_offline_page_says_nothing_about_the_signed_in_person(
    sam_client: Client, mia: object
) -> None:
    response = sam_client.get("/offline/")

    assert response.status_code == 200
    text = response.content.decode()
    assert "Your dose log needs a connection" in text
    for private in ("Mia", "Sam", "sam@example.com"):
        assert private not in text


def test_the_manifest_names_the_app_and_its_icons_exist(client: Client) -> None:
    path = finders.find("manifest.webmanifest")
    assert isinstance(path, str)
    manifest = json.loads(Path(path).read_text())

    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512", "any"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        assert finders.find(f"img/{icon['src'].removeprefix('img/')}"), icon["src"]


def test_every_page_links_the_manifest_and_a_home_screen_icon(client: Client, db: None) -> None:
    page = client.get("/medicines/")

    assert attr(select_one(page, "link[rel=manifest]"), "href").endswith("manifest.webmanifest")
    assert attr(select_one(page, "link[rel=apple-touch-icon]"), "href").endswith(".png")
    assert attr(select_one(page, "meta[name=theme-color]"), "content") == "#0a55a0"
