"""Read rendered pages the way a patient sees them: the words, the fields, the day statuses.

One parser for the whole suite, BeautifulSoup, with CSS selectors (soupsieve). Assert on
`words(...)`, what a reader sees; query an element only where its attributes are the
behaviour (a form's action, an hx-* attribute, an href, aria). Where the element itself
is the point, Django's `assertContains(response, "<h1>...</h1>", html=True)` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeAlias
from urllib.parse import quote

from bs4 import BeautifulSoup, NavigableString, Tag
from django.http.response import HttpResponseBase

from tracking.models import DayStatus

if TYPE_CHECKING:
    from monographs.models import Medicine
    from tracking.models import Patient


class _HasContent(Protocol):
    @property
    def content(self) -> bytes: ...


# A test client response, an HttpResponse, some markup, or an element already found.
Markup: TypeAlias = str | bytes | _HasContent | Tag


def parse(markup: Markup) -> Tag:
    """The document (or the element itself). Every attribute value is one string, class too."""
    if isinstance(markup, Tag):
        return markup
    if not isinstance(markup, str | bytes):
        markup = markup.content
    if isinstance(markup, bytes):
        markup = markup.decode()
    return BeautifulSoup(markup, "html.parser", multi_valued_attributes=None)


def select(markup: Markup, css: str) -> list[Tag]:
    """Every element the CSS selector matches, in document order."""
    return list(parse(markup).select(css))


def select_one(markup: Markup, css: str) -> Tag:
    """The one element the selector matches; fails if there are none or several."""
    found = select(markup, css)
    assert len(found) == 1, f"{len(found)} elements match {css!r}"
    return found[0]


def attr(element: Tag, name: str) -> str:
    """An attribute's value; fails if the element does not have it."""
    value = element.get(name)
    assert isinstance(value, str), f"<{element.name}> has no {name!r}: {element.attrs}"
    return value


def top_elements(markup: Markup) -> list[Tag]:
    """The outermost elements of an htmx answer. A whole page would have <html> here."""
    return [child for child in parse(markup).children if isinstance(child, Tag)]


# Inline elements join their neighbours ("<strong>ANC</strong>: 5" reads "ANC: 5");
# every other element separates words, as a browser lays them out.
_INLINE = frozenset({"a", "abbr", "b", "code", "em", "i", "small", "span", "strong", "time"})
_UNSEEN = frozenset({"script", "style", "template"})


def words(markup: Markup) -> str:
    """The text a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    parts: list[str] = []
    _collect_text(parse(markup), parts)
    return " ".join("".join(parts).split())


def _collect_text(element: Tag, parts: list[str]) -> None:
    for child in element.children:
        if isinstance(child, Tag):
            if child.name in _UNSEEN:
                continue
            separate = child.name not in _INLINE
            if separate:
                parts.append(" ")
            _collect_text(child, parts)
            if separate:
                parts.append(" ")
        elif type(child) is NavigableString:  # not a comment, doctype or CDATA
            parts.append(child)


def section_words(markup: Markup, heading_id: str) -> str:
    """The words of the <section aria-labelledby=heading_id>, its heading first."""
    return words(select_one(markup, f'section[aria-labelledby="{heading_id}"]'))


def field_errors(markup: Markup, name: str) -> list[str]:
    """The messages shown under a form field (Django's <ul id="id_<name>_error">)."""
    return [words(item) for item in select(markup, f"#id_{name}_error li")]


@dataclass(frozen=True)
class Radio:
    value: str
    label: str
    checked: bool


def radios(markup: Markup, name: str) -> list[Radio]:
    """The radio buttons named `name`, each with the words of the <label> it sits in."""
    found = []
    for radio in select(markup, f'input[type="radio"][name="{name}"]'):
        label = radio.find_parent("label")
        assert label is not None, f"radio {radio.attrs} is not inside its label"
        found.append(Radio(attr(radio, "value"), words(label), radio.has_attr("checked")))
    return found


_STATUS_BY_WORDS = {status.label: status.value for status in DayStatus}


def _day_cells(markup: Markup, block: str) -> list[tuple[str, str, set[str]]]:
    """(the date's words, the status, the other modifiers) of each `block__day` cell.

    The status is the word the cell shows (a day with no dose due may show none), and the
    cell's colour, its `block__day--<status>` class, must say the same.
    """
    cells = []
    for cell in select(markup, f".{block}__day"):
        shown = cell.select_one(f".{block}__status")
        status = _STATUS_BY_WORDS[words(shown)] if shown else DayStatus.NONE.value
        prefix = f"{block}__day--"
        modifiers = {
            name.removeprefix(prefix)
            for name in attr(cell, "class").split()
            if name.startswith(prefix)
        }
        assert status in modifiers, f"the cell says {status!r} but is coloured {modifiers}"
        date = words(select_one(cell, f".{block}__date"))
        cells.append((date, status, modifiers - {status}))
    return cells


def calendar_statuses(markup: Markup) -> dict[int, str]:
    """Day of the month -> status, for the days of the month shown (not the padding)."""
    return {
        int(date): status
        for date, status, others in _day_cells(markup, "calendar")
        if "other" not in others
    }


def strip_statuses(markup: Markup) -> list[tuple[int, str]]:
    """The dashboard's 14-day strip, oldest first: (day of the month, status)."""
    # The date reads "Wed 18".
    return [(int(date.split()[-1]), status) for date, status, _ in _day_cells(markup, "strip")]


def form_data(markup: Markup, form_id: str) -> dict[str, list[str]]:
    """The fields the form with this id would submit unchanged, as a browser sends them."""
    form = select_one(markup, f"form#{form_id}")
    data: dict[str, list[str]] = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name = attr(field, "name")
        # The empty form a formset keeps for "Add another" is never counted by Django.
        if field.has_attr("disabled") or "__prefix__" in name:
            continue
        values = data.setdefault(name, [])
        if field.name == "select":
            options = field.select("option")
            chosen = [option for option in options if option.has_attr("selected")]
            if not chosen and options and not field.has_attr("multiple"):
                chosen = options[:1]
            values += [_option_value(option) for option in chosen]
        elif field.name == "textarea":
            # A browser drops the one newline that follows <textarea>.
            values.append(field.get_text().removeprefix("\r\n").removeprefix("\n"))
        else:
            kind = str(field.get("type", "text")).lower()
            if kind in {"submit", "button", "image", "reset", "file"}:
                pass
            elif kind in {"checkbox", "radio"}:
                if field.has_attr("checked"):
                    values.append(str(field.get("value", "on")))
            else:
                values.append(str(field.get("value", "")))
        if not values:
            del data[name]
    return data


def _option_value(option: Tag) -> str:
    value = option.get("value")
    return value if isinstance(value, str) else option.get_text()


# What a test posts: a field's value, or its values.
FormData: TypeAlias = dict[str, str | list[str]]


def assert_kept(markup: Markup, form_id: str, data: FormData) -> None:
    """The re-rendered form would send back exactly what was posted."""
    shown = form_data(markup, form_id)
    shown.pop("csrfmiddlewaretoken")
    posted = {name: value if isinstance(value, list) else [value] for name, value in data.items()}
    assert shown == {name: values for name, values in posted.items() if values}


def patient_url(patient: Patient, path: str) -> str:
    """A patient page's address naming the patient: patient_url(mia, "/doses/")."""
    return f"/p/{patient.uuid}{path}"


def is_login_redirect(response: HttpResponseBase, path: str) -> bool:
    """A redirect to the sign-in page that comes back to `path` afterwards."""
    expected = f"/accounts/login/?next={quote(path, safe='/')}"
    return response.status_code == 302 and response["Location"] == expected


def medicine_names_in(text: str, medicine: Medicine) -> list[str]:
    """Which of the medicine's names the text mentions, apart from the portal's own name.

    The product is called Kineret Portal, after the brand: its name may appear where a
    medicine's name may not (emails, the calendar feed), so it is removed first.
    """
    # "Kineret Portal" in a signature, "@kineret-portal" in an event's id.
    lowered = text.lower().replace("kineret portal", "").replace("kineret-portal", "")
    names = [medicine.generic_name, medicine.brand_name, medicine.display_name]
    return [name for name in names if name and name.lower() in lowered]


# The words the patient is shown when a dose is refused or questioned.
FUTURE = "That time is in the future. Enter when the dose was due or taken."
NOT_POSITIVE = "The dose must be more than 0 mg."
SECOND_DOSE = (
    "A dose is already logged on 18 November. "
    "This medicine is usually taken once a day. Log another dose anyway?"
)


def second_in_slot(slot: str, day: str = "18 November") -> str:
    """The question for a second dose in a filled slot of a twice-a-day schedule."""
    return f"The {slot} dose of {day} is already logged. Log another dose anyway?"


def over_max(total: int, maximum: int, day: str = "18 November") -> str:
    return (
        f"That would make {total} mg on {day}, more than the most per day of {maximum} mg. "
        "Nothing was saved. If the prescriber changed the dose, ask your care team to "
        "update the therapy."
    )


def helper_only(site: str) -> str:
    return (
        f"{site} is only for when someone else gives the injection. "
        "Tick “Someone else is giving this injection”, or choose another site."
    )
