"""SVG drawing done on the server: the blood-test trend chart and the body map."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from monographs.models import InjectionSite

from .models import LabResult


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    result: LabResult


@dataclass(frozen=True)
class Chart:
    """A server-drawn trend line: coordinates in a 0 0 WIDTH HEIGHT viewBox."""

    points: list[ChartPoint]
    threshold_y: float | None
    threshold: Decimal | None
    y_max: Decimal
    polyline: str

    WIDTH = 600
    HEIGHT = 240
    PAD = 40


def trend_chart(results: list[LabResult], threshold: Decimal | None) -> Chart | None:
    if not results:
        return None
    ordered = sorted(results, key=lambda r: (r.taken_on, r.pk))
    top = max([r.value for r in ordered] + ([threshold] if threshold else []))
    y_max = max(Decimal(1000), (top * Decimal("1.2")).quantize(Decimal(1)))
    first, last = ordered[0].taken_on, ordered[-1].taken_on
    span = max((last - first).days, 1)
    inner_w = Chart.WIDTH - 2 * Chart.PAD
    inner_h = Chart.HEIGHT - 2 * Chart.PAD

    def y_of(value: Decimal) -> float:
        return round(Chart.PAD + inner_h * (1 - float(value / y_max)), 1)

    points = [
        ChartPoint(
            x=round(Chart.PAD + inner_w * ((r.taken_on - first).days / span), 1)
            if len(ordered) > 1
            else Chart.WIDTH / 2,
            y=y_of(r.value),
            result=r,
        )
        for r in ordered
    ]
    return Chart(
        points=points,
        threshold_y=y_of(threshold) if threshold is not None else None,
        threshold=threshold,
        y_max=y_max,
        polyline=" ".join(f"{p.x},{p.y}" for p in points),
    )


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
