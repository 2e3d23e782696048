"""Read the tracking pages the way a patient sees them: text, errors, day statuses."""

from __future__ import annotations

import html
from dataclasses import dataclass
from html.parser import HTMLParser

from django.http import HttpResponse


def text(response: HttpResponse) -> str:
    """The response body with entities decoded, so messages compare as written."""
    return html.unescape(response.content.decode())


# The words the patient is shown when a dose is refused or questioned.
FUTURE = "That time is in the future. Enter when the dose was due or taken."
NOT_POSITIVE = "The dose must be more than 0 mg."
SECOND_DOSE = (
    "You have already logged a dose on 18 November. "
    "Your medicine is usually taken once a day. Log another dose anyway?"
)


def over_max(total: int, maximum: int, day: str = "18 November") -> str:
    return (
        f"That would make {total} mg on {day}, more than your most per day of {maximum} mg. "
        "Nothing was saved. If your prescriber changed your dose, ask your care team to "
        "update your therapy."
    )


def helper_only(site: str) -> str:
    return (
        f"{site} is only for when someone else gives the injection. "
        "Tick “Someone else is giving this injection”, or choose another site."
    )


@dataclass
class Cell:
    modifiers: set[str]
    label: str


@dataclass
class _Open:
    cell: Cell
    depth: int


class _CellCollector(HTMLParser):
    """Elements whose class is `block`, with their `block--x` modifiers and the text of
    the element inside them whose class is `label`."""

    def __init__(self, block: str, label: str) -> None:
        super().__init__(convert_charrefs=True)
        self.block, self.label = block, label
        self.cells: list[Cell] = []
        self._depth = 0
        self._cell: _Open | None = None
        self._label_depth: int | None = None
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "input", "img", "meta", "link"}:
            return
        self._depth += 1
        classes = (dict(attrs).get("class") or "").split()
        if self.block in classes:
            prefix = f"{self.block}--"
            modifiers = {name.removeprefix(prefix) for name in classes if name.startswith(prefix)}
            self._cell = _Open(Cell(modifiers, ""), self._depth)
            self.cells.append(self._cell.cell)
        elif self._cell is not None and self.label in classes:
            self._label_depth = self._depth
            self._parts = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"br", "input", "img", "meta", "link"}:
            return
        if self._label_depth == self._depth and self._cell is not None:
            self._cell.cell.label = " ".join(self._parts)
            self._label_depth = None
        if self._cell is not None and self._cell.depth == self._depth:
            self._cell = None
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._label_depth is not None and data.strip():
            self._parts.append(data.strip())


def _cells(response: HttpResponse, block: str, label: str) -> list[Cell]:
    collector = _CellCollector(block, label)
    collector.feed(response.content.decode())
    collector.close()
    return collector.cells


STATUSES = {"taken", "skipped", "missed", "due", "none"}


def calendar_statuses(response: HttpResponse) -> dict[int, str]:
    """Day of the month -> status, for the days of the month shown (not the padding)."""
    result = {}
    for cell in _cells(response, "calendar__day", "calendar__date"):
        if "other" in cell.modifiers:
            continue
        [status] = cell.modifiers & STATUSES
        result[int(cell.label)] = status
    return result


def strip_statuses(response: HttpResponse) -> list[tuple[int, str]]:
    """The dashboard's strip, oldest first: (day of the month, status)."""
    result = []
    for cell in _cells(response, "strip__day", "strip__date"):
        [status] = cell.modifiers & STATUSES
        result.append((int(cell.label.split()[-1]), status))
    return result


class _ListCollector(HTMLParser):
    """The text of each <li> inside the element with this id."""

    def __init__(self, element_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.element_id = element_id
        self.found = False
        self.items: list[str] = []
        self._inside: str | None = None
        self._item: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._inside is None and dict(attrs).get("id") == self.element_id:
            self.found = True
            self._inside = tag
        elif self._inside is not None and tag == "li":
            self._item = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self._item is not None:
            self.items.append(" ".join("".join(self._item).split()))
            self._item = None
        elif tag == self._inside:
            self._inside = None

    def handle_data(self, data: str) -> None:
        if self._item is not None:
            self._item.append(data)


def field_errors(response: HttpResponse, name: str) -> list[str]:
    """The messages shown under a form field (Django's <ul id="id_<name>_error">)."""
    collector = _ListCollector(f"id_{name}_error")
    collector.feed(response.content.decode())
    collector.close()
    return collector.items


@dataclass
class Radio:
    value: str
    label: str
    checked: bool


class _RadioCollector(HTMLParser):
    """Radio inputs named `name` that sit inside their <label>, with the label's text."""

    def __init__(self, name: str) -> None:
        super().__init__(convert_charrefs=True)
        self.name = name
        self.radios: list[Radio] = []
        self._current: Radio | None = None
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if (
            tag == "input"
            and attributes.get("type") == "radio"
            and attributes["name"] == self.name
        ):
            self._current = Radio(attributes.get("value") or "", "", "checked" in attributes)
            self._parts = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._current is not None:
            self._current.label = " ".join("".join(self._parts).split())
            self.radios.append(self._current)
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._parts.append(data)


def radios(response: HttpResponse, name: str) -> list[Radio]:
    collector = _RadioCollector(name)
    collector.feed(response.content.decode())
    collector.close()
    return collector.radios
