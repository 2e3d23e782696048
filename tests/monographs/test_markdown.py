"""Clinicians write Markdown; patients get HTML that cannot run anything."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from pytest_django.asserts import assertInHTML

from monographs.text import render_markdown
from tests.pages import attr, parse, select, words

HOSTILE = {
    "script element": "<script>alert(1)</script>",
    "event handler": "<img src=x onerror=alert(1)>",
    "javascript link": "[x](javascript:alert(1))",
    "javascript link, mixed case": "[x](JaVaScRiPt:alert(1))",
    "javascript link, entity": "[x](&#106;avascript:alert(1))",
    "raw javascript href": '<a href="javascript:alert(1)">x</a>',
    "htmx attributes": '<a hx-get="/x" data-hx-post="/y">x</a>',
    "htmx event attribute": '<div hx-on:click="alert(1)">x</div>',
    "htmx trigger in a paragraph": '<p hx-trigger="load" hx-get="/accounts/logout/">x</p>',
    "style element": "<style>body { display: none }</style>",
    "style attribute": '<p style="position:fixed;inset:0">x</p>',
    "svg with script": "<svg><script>alert(1)</script></svg>",
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "form": '<form action="https://evil.example/"><input name="password"></form>',
}


def _assert_inert(html: str) -> None:
    tags = parse(html).find_all(True)
    names = {tag.name for tag in tags}
    assert not names & {"script", "style", "img", "svg", "iframe", "form", "input", "div"}
    for tag in tags:
        for attribute, value in tag.attrs.items():
            assert not attribute.startswith("on"), tag
            assert not attribute.startswith(("hx-", "data-")), tag
            assert attribute != "style", tag
            assert "javascript:" not in str(value).lower(), tag
    assert "javascript:" not in html.lower()


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_markup_renders_inert(source: str) -> None:
    _assert_inert(render_markdown(source))


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_markup_is_inert_next_to_formatting_that_survives(source: str) -> None:
    html = render_markdown(f"**Keep it cold.**\n\n{source}\n\n- first\n- second\n")

    _assert_inert(html)
    assertInHTML("<p><strong>Keep it cold.</strong></p>", html)
    assertInHTML("<ul><li>first</li><li>second</li></ul>", html)


def test_script_content_is_dropped_not_shown_as_text() -> None:
    html = render_markdown("Before <script>alert(1)</script> after")

    assert "alert" not in html
    assert words(html) == "Before after"


def test_the_checker_above_notices_live_markup() -> None:
    for live in ['<a href="javascript:x()">', '<p onclick="x()">', '<a hx-get="/x">']:
        with pytest.raises(AssertionError):
            _assert_inert(live)


def test_ordinary_markdown_survives() -> None:
    html = render_markdown(
        "### Storing it\n\n"
        "Keep it in the **fridge**, not the *freezer*.\n\n"
        "1. Take it out\n2. Wait 30 minutes\n\n"
        "| Dose | When |\n| --- | --- |\n| 100 mg | daily |\n\n"
        "[Label](https://www.accessdata.fda.gov/label.pdf) or call [the line](tel:18005550100)."
    )

    assertInHTML("<h3>Storing it</h3>", html)
    assertInHTML("<p>Keep it in the <strong>fridge</strong>, not the <em>freezer</em>.</p>", html)
    assertInHTML("<ol><li>Take it out</li><li>Wait 30 minutes</li></ol>", html)
    assert [words(row) for row in select(html, "table tr")] == ["Dose When", "100 mg daily"]
    assertInHTML("<td>100 mg</td>", html)
    [label, phone] = select(html, "a")
    assert words(label) == "Label"
    assert attr(label, "href") == "https://www.accessdata.fda.gov/label.pdf"
    assert attr(label, "rel") == "noopener noreferrer"
    assert words(phone) == "the line"
    assert attr(phone, "href") == "tel:18005550100"


def test_text_that_looks_like_html_is_escaped_not_dropped() -> None:
    html = render_markdown("Take 1 < 2 tablets & rest")

    assert "1 &lt; 2 tablets &amp; rest" in html


def test_the_template_filter_renders_the_same_and_tolerates_empty_text() -> None:
    template = Template("{% load monograph_text %}[{{ body|markdown }}]")

    assert template.render(Context({"body": "**bold**"})) == "[<p><strong>bold</strong></p>]"
    assert template.render(Context({"body": None})) == "[]"
    assert "alert" not in template.render(Context({"body": HOSTILE["script element"]}))
