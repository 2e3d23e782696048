"""Where each injection site sits on the body map drawing (templates/tracking/_body_map.svg)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from monographs.models import InjectionSite

Area = InjectionSite.BodyArea

# (x, y) in the drawing's 0 0 320 260 viewBox: front figure left, back figure right.
POSITIONS: dict[str, tuple[int, int]] = {
    Area.RIGHT_ABDOMEN: (66, 112),  # the patient's right is the viewer's left
    Area.LEFT_ABDOMEN: (94, 112),
    Area.RIGHT_THIGH: (66, 170),
    Area.LEFT_THIGH: (94, 170),
    Area.LEFT_ARM: (194, 86),
    Area.RIGHT_ARM: (286, 86),
    Area.LEFT_BUTTOCK: (225, 140),
    Area.RIGHT_BUTTOCK: (255, 140),
}


@dataclass(frozen=True)
class Marker:
    site: InjectionSite
    x: int
    y: int
    is_suggested: bool
    last_used: datetime.date | None

    @property
    def state(self) -> str:
        if self.is_suggested:
            return "suggested"
        return "used" if self.last_used else "unused"


def markers(
    sites: list[InjectionSite],
    last_used: dict[int, datetime.datetime],
    suggested: InjectionSite | None,
    zone: datetime.tzinfo,
) -> list[Marker]:
    result = []
    for site in sites:
        x, y = POSITIONS[site.body_area]
        used = last_used.get(site.pk)
        result.append(
            Marker(
                site=site,
                x=x,
                y=y,
                is_suggested=suggested is not None and site.pk == suggested.pk,
                last_used=used.astimezone(zone).date() if used else None,
            )
        )
    return result
