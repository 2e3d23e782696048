"""Read rendered HTML the way a browser would: its elements, and what a form submits."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class _ElementCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open_text: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.elements.append(element)
        if tag in {"script", "style", "textarea", "option", "title"}:
            self._open_text.append(element)

    def handle_endtag(self, tag: str) -> None:
        if self._open_text and self._open_text[-1].tag == tag:
            self._open_text.pop()

    def handle_data(self, data: str) -> None:
        if self._open_text:
            self._open_text[-1].text += data


def elements(html: str) -> list[Element]:
    """Every start tag in document order, with its attributes.

    script, style, textarea, option and title also carry their text.
    """
    collector = _ElementCollector()
    collector.feed(html)
    collector.close()
    return collector.elements


def find_all(html: str, tag: str, **attrs: str) -> list[Element]:
    return [
        element
        for element in elements(html)
        if element.tag == tag
        and all(element.attrs.get(_attribute(name)) == value for name, value in attrs.items())
    ]


def _attribute(keyword: str) -> str:
    """for_ -> for, hx_headers -> hx-headers."""
    return keyword.rstrip("_").replace("_", "-")


@dataclass
class _FormState:
    data: dict[str, list[str]] = field(default_factory=dict)
    select_name: str | None = None
    select_options: list[tuple[str, bool]] = field(default_factory=list)
    textarea_name: str | None = None
    textarea_text: str = ""


class _FormCollector(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.found = False
        self.inside = False
        self.state = _FormState()

    def _add(self, name: str, value: str) -> None:
        # The empty form a formset keeps for "Add another" is never counted by Django.
        if "__prefix__" not in name:
            self.state.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form" and attributes.get("id") == self.form_id:
            self.found = self.inside = True
            return
        if not self.inside:
            return
        name = attributes.get("name")
        if tag == "input" and name and "disabled" not in attributes:
            kind = attributes.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in attributes:
                    self._add(name, attributes.get("value", "on"))
                return
            self._add(name, attributes.get("value", ""))
        elif tag == "select" and name and "disabled" not in attributes:
            self.state.select_name = name
            self.state.select_options = []
        elif tag == "option" and self.state.select_name:
            self.state.select_options.append(
                (attributes.get("value", ""), "selected" in attributes)
            )
        elif tag == "textarea" and name and "disabled" not in attributes:
            self.state.textarea_name = name
            self.state.textarea_text = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "select" and self.state.select_name:
            chosen = [value for value, selected in self.state.select_options if selected]
            if not chosen and self.state.select_options:
                chosen = [self.state.select_options[0][0]]
            for value in chosen:
                self._add(self.state.select_name, value)
            self.state.select_name = None
        elif tag == "textarea" and self.state.textarea_name:
            # A browser drops the one newline that follows <textarea>.
            text = self.state.textarea_text.removeprefix("\r\n").removeprefix("\n")
            self._add(self.state.textarea_name, text)
            self.state.textarea_name = None

    def handle_data(self, data: str) -> None:
        if self.state.textarea_name is not None:
            self.state.textarea_text += data


def form_data(html: str, form_id: str) -> dict[str, list[str]]:
    """The fields the form with this id would submit unchanged, as a browser sends them."""
    collector = _FormCollector(form_id)
    collector.feed(html)
    collector.close()
    assert collector.found, f"no <form id={form_id!r}> in the page"
    return collector.state.data
