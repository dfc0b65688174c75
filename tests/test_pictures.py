"""Pictures of a plan: the map and the timeline read as SVG, name what they draw, and repeat exactly."""

from __future__ import annotations

import copy
import datetime as dt
import re
import struct
import xml.etree.ElementTree as ET
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from planner.document import PlanDocumentError, read_document
from planner.domain import Scenario
from planner.pictures import (
    CLOSURE_COLOUR,
    MODE_COLOURS,
    render_map_png,
    render_map_svg,
    render_timeline_png,
    render_timeline_svg,
)
from planner.replan import replan
from planner.scenario import load_events
from tests.conftest import FLAGSHIP, SCENARIOS, load, make_plan

SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def three_cities() -> tuple[Scenario, dict[str, Any]]:
    scenario = load(SCENARIOS / "three-cities.yaml")
    return scenario, make_plan(scenario)


@pytest.fixture(scope="module")
def flagship_versions() -> tuple[Scenario, dict[str, Any], dict[str, Any]]:
    """Version 1 of the flagship, and version 2 after the Aktau airport closure."""
    scenario = load(FLAGSHIP)
    first = make_plan(scenario)
    events = load_events(SCENARIOS / "events" / "aktau-airport-closed.yaml", scenario).events
    second = replan(scenario, first, dt.datetime.fromisoformat("2016-01-21T07:00+05:00"), events).plan
    return scenario, first, second


@pytest.fixture(scope="module", params=["three-cities", "flagship-v2"])
def scenario_and_plan(request, three_cities, flagship_versions) -> tuple[Scenario, dict[str, Any]]:
    if request.param == "three-cities":
        return three_cities
    scenario, _first, second = flagship_versions
    return scenario, second


_rendered: dict[tuple[int, str], str] = {}


def svg_of(
    render: Callable[[Scenario, dict[str, Any]], str], scenario: Scenario, plan: dict[str, Any]
) -> str:
    """Each picture of each plan is drawn once for the module (plans are not changed by the tests)."""
    key = (id(plan), render.__name__)
    if key not in _rendered:
        _rendered[key] = render(scenario, plan)
    return _rendered[key]


def groups(svg: str) -> dict[str, ET.Element]:
    """Every SVG group with an id, by id (the document must parse as XML)."""
    root = ET.fromstring(svg)
    return {g.attrib["id"]: g for g in root.iter(f"{SVG}g") if "id" in g.attrib}


def texts(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in element.iter(f"{SVG}text")]


def styles(element: ET.Element) -> str:
    return " ".join(e.attrib.get("style", "") for e in element.iter()).lower()


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return width, height


def test_map_marks_and_labels_every_seminar_city(scenario_and_plan):
    """Each seminar of the plan has its city drawn as a visited seminar city, labelled by name."""
    scenario, plan = scenario_and_plan
    found = groups(svg_of(render_map_svg, scenario, plan))
    assert plan["seminars"]
    for seminar in plan["seminars"]:
        mark = found[f"city-{seminar['city']}"]
        assert {"city", "seminar-city", "visited"} <= set(mark.attrib["class"].split())
        label = " ".join(texts(found[f"label-{seminar['city']}"]))
        assert seminar["city_name"] in label
    start = scenario.delegation.start_city
    assert "start" in found[f"city-{start}"].attrib["class"].split()


def test_map_draws_one_line_per_leg_in_its_mode_colour(scenario_and_plan):
    scenario, plan = scenario_and_plan
    svg = svg_of(render_map_svg, scenario, plan)
    found = groups(svg)
    assert plan["legs"]
    for index, leg in enumerate(plan["legs"]):
        element = found[f"leg-{index}"]
        assert element.attrib["class"] == f"leg mode-{leg['mode']}"
        assert f"stroke: {MODE_COLOURS[leg['mode']]}" in styles(element)
    assert len([i for i in found if re.fullmatch(r"leg-\d+", i)]) == len(plan["legs"])
    legend = " ".join(texts(found["legend"]))
    assert all(mode in legend for mode in MODE_COLOURS)


def test_map_marks_the_closed_airport_after_the_aktau_closure(flagship_versions):
    scenario, first, second = flagship_versions
    assert "closed-terminal-SCO" not in groups(svg_of(render_map_svg, scenario, first))
    found = groups(svg_of(render_map_svg, scenario, second))
    assert found["closed-terminal-SCO"].attrib["class"] == "closure closed-terminal"
    assert f"fill: {CLOSURE_COLOUR}" in styles(found["closed-terminal-SCO"])
    assert "SCO closed (1)" in texts(found["closed-terminal-SCO-label"])
    # The key gives the closure's local times with their offset.
    assert any("21 Jan 12:00 +05" in t and "23 Jan 12:00 +05" in t for t in texts(found["disruption-note-1"]))


def test_map_draws_closed_roads_dashed_red_for_a_road_and_for_a_region(three_cities):
    scenario, plan = three_cities
    found = groups(svg_of(render_map_svg, scenario, plan))
    road = found["closed-road-astana-karaganda"]  # the scenario's own closure
    assert f"stroke: {CLOSURE_COLOUR}" in styles(road) and "stroke-dasharray" in styles(road)
    assert "closed-road-astana-pavlodar" not in found

    with_region_closed = copy.deepcopy(plan)
    with_region_closed["events"] = [
        {
            "id": "pavlodar-blizzard",
            "kind": "road_closed",
            "region": "pavlodar",
            "announced_at": "2016-01-18T06:00",
            "start": "2016-01-19T18:00",
            "end": "2016-01-20T09:00",
        }
    ]
    found = groups(render_map_svg(scenario, with_region_closed))
    assert "closed-road-astana-pavlodar" in found  # the only road through Pavlodar region


def test_timeline_has_a_bar_per_seminar_and_per_leg(scenario_and_plan):
    scenario, plan = scenario_and_plan
    found = groups(svg_of(render_timeline_svg, scenario, plan))
    for seminar in plan["seminars"]:
        assert found[f"seminar-{seminar['city']}"].attrib["class"] == "seminar"
    bars = [i for i in found if i.startswith("seminar-") and not i.endswith("-continued")]
    assert len(bars) == len(plan["seminars"])
    for index, leg in enumerate(plan["legs"]):
        bar = found[f"leg-{index}"]
        assert bar.attrib["class"] == f"leg mode-{leg['mode']}"
        assert f"fill: {MODE_COLOURS[leg['mode']]}" in styles(bar)
    assert len([i for i in found if re.fullmatch(r"leg-\d+", i)]) == len(plan["legs"])
    all_text = texts(ET.fromstring(svg_of(render_timeline_svg, scenario, plan)))
    assert all(leg["service"] in all_text for leg in plan["legs"])


def test_timeline_has_a_row_per_home_day_and_local_times_with_offsets(three_cities):
    scenario, plan = three_cities
    svg = svg_of(render_timeline_svg, scenario, plan)
    found = groups(svg)
    days = [
        scenario.calendar.start_date + dt.timedelta(days=i) for i in range(scenario.calendar.horizon_days)
    ]
    assert [i for i in found if i.startswith("day-")] == [f"day-{d.isoformat()}" for d in days]
    words = " ".join(texts(ET.fromstring(svg)))
    assert "local time in Astana (UTC+06)" in words
    assert "09:30-12:30 +06" in words  # the Astana seminar, local with its offset
    # Where each night is spent: the night of 19 January is on the overnight train.
    assert "on train KTZ031" in words and "Karaganda" in words
    assert {f"night-{n['date']}" for n in plan["nights"]} <= set(found)


def test_timeline_shades_the_aktau_closure_on_the_days_it_bears_on(flagship_versions):
    """The closure (21 Jan 12:00 +05 to 23 Jan 12:00 +05) is hatched on a day exactly when the
    delegation is in Aktau or flies to or from it that day; the key lists it either way."""
    scenario, first, second = flagship_versions
    assert not any(
        i.startswith("disruption-sco-icing") for i in groups(svg_of(render_timeline_svg, scenario, first))
    )
    found = groups(svg_of(render_timeline_svg, scenario, second))
    assert "21 Jan 12:00 +05" in " ".join(texts(found["disruption-note-1"]))
    closure = [dt.date(2016, 1, 21), dt.date(2016, 1, 22), dt.date(2016, 1, 23)]
    expected = [day for day in closure if day in days_at(scenario, second, "aktau")]
    assert hatched_days(scenario, found, "sco-icing") == expected
    if expected:
        assert found["disruption-sco-icing"].attrib["class"] == "disruption kind-terminal_closed"
    assert "now" in found  # the moment version 2 was made


def _ys(group: ET.Element) -> set[float]:
    """The heights a drawn element reaches (its first path's y coordinates, top and bottom)."""
    path = next(e for e in group.iter() if e.tag == f"{SVG}path")
    ys = [float(n) for n in re.findall(r"-?[\d.]+", path.attrib["d"])[1::2]]
    return {round(min(ys), 1), round(max(ys), 1)}


def _on_day(found: dict[str, ET.Element], band: str, day: dt.date) -> bool:
    """A band lies on a day's row: between the lines under that day and under the day before."""
    before = found.get(f"day-{(day - dt.timedelta(days=1)).isoformat()}")
    lines = _ys(found[f"day-{day.isoformat()}"]) | (_ys(before) if before is not None else set())
    return _ys(found[band]) == lines if before is not None else max(_ys(found[band])) in lines


def hatched_days(scenario: Scenario, found: dict[str, ET.Element], event: str) -> list[dt.date]:
    """The days whose rows hold a band of the event."""
    days = [
        scenario.calendar.start_date + dt.timedelta(days=n) for n in range(scenario.calendar.horizon_days)
    ]
    bands = [i for i in found if re.fullmatch(rf"disruption-{re.escape(event)}(-\d+)?", i)]
    on = sorted(day for band in bands for day in days if _on_day(found, band, day))
    assert len(on) == len(bands)  # each band on one row
    return on


def home_day(scenario: Scenario, moment: str) -> dt.date:
    return (
        dt.datetime.fromisoformat(moment)
        .astimezone(scenario.city(scenario.delegation.start_city).zone)
        .date()
    )


def days_at(scenario: Scenario, plan: dict[str, Any], city: str) -> set[dt.date]:
    """The home days the delegation holds a seminar in a city, travels to or from it, or sleeps there
    (the night's day and the next morning)."""
    days = {home_day(scenario, s["start"]) for s in plan["seminars"] if s["city"] == city}
    for leg in plan["legs"]:
        if city in (leg["from_city"], leg["to_city"]):
            first, last = home_day(scenario, leg["depart"]), home_day(scenario, leg["arrive"])
            days |= {first + dt.timedelta(days=n) for n in range((last - first).days + 1)}
    for night in plan["nights"]:
        if night.get("city") == city:
            day = dt.date.fromisoformat(night["date"])
            days |= {day, day + dt.timedelta(days=1)}
    return days


def _event(event_id: str, kind: str, start: str, end: str, **target: str) -> dict[str, str]:
    return {
        "id": event_id,
        "kind": kind,
        "start": start,
        "end": end,
        "announced_at": "2016-01-17T00:00",
        **target,
    }


def test_timeline_hatches_only_the_rows_a_disruption_bears_on(flagship_versions):
    """A city the trip never reaches closed all along, and a road closed after the delegation has
    left both its ends for good, get no band (only their lines in the key); a closed road the
    delegation drives, and a cancelled flight it takes, are hatched on the day of that leg only."""
    scenario, _first, second = flagship_versions
    plan = copy.deepcopy(second)
    calendar = scenario.calendar
    first_day, last_day = calendar.start_date, calendar.start_date + dt.timedelta(days=calendar.horizon_days)
    visited = {c for leg in plan["legs"] for c in (leg["from_city"], leg["to_city"])}
    visited |= {s["city"] for s in plan["seminars"]} | {scenario.delegation.start_city}
    unvisited = sorted(c.id for c in scenario.cities if c.id not in visited)[0]

    def left_for_good(road: Any) -> dt.date:
        """The day after the last one the delegation is at either end of the road."""
        return max(d for end in (road.a, road.b) for d in days_at(scenario, plan, end) | {first_day}) + (
            dt.timedelta(days=1)
        )

    far_road = min(scenario.roads, key=lambda road: (left_for_good(road), road.id))
    far_from = left_for_good(far_road)
    assert far_from < last_day - dt.timedelta(days=1)
    drive = next(leg for leg in plan["legs"] if leg["mode"] == "drive")
    flight = next(leg for leg in plan["legs"] if leg["mode"] == "flight")
    drive_day, flight_day = home_day(scenario, drive["depart"]), home_day(scenario, flight["depart"])
    departs = dt.datetime.fromisoformat(flight["depart"]).replace(tzinfo=None)
    plan["events"] = [
        _event("far-city", "city_unavailable", f"{first_day}T00:00", f"{last_day}T00:00", city=unvisited),
        _event("far-road", "road_closed", f"{far_from}T00:00", f"{last_day}T00:00", road=far_road.id),
        _event("near-road", "road_closed", f"{drive_day}T01:00", f"{drive_day}T23:00", road=drive["service"]),
        _event(
            "flight-off",
            "service_cancelled",
            (departs - dt.timedelta(minutes=30)).isoformat(timespec="minutes"),
            (departs + dt.timedelta(minutes=30)).isoformat(timespec="minutes"),
            service=flight["service"],
        ),
    ]
    found = groups(render_timeline_svg(scenario, plan))
    assert hatched_days(scenario, found, "far-city") == []
    assert hatched_days(scenario, found, "far-road") == []
    assert hatched_days(scenario, found, "near-road") == [drive_day]
    assert hatched_days(scenario, found, "flight-off") == [flight_day]
    notes = " ".join(" ".join(texts(found[i])) for i in found if i.startswith("disruption-note-"))
    assert f"road {far_road.id} closed" in notes and f"{scenario.city(unvisited).name} unavailable" in notes


def test_pngs_are_pngs_of_a_sensible_size(flagship_versions):
    scenario, _first, second = flagship_versions
    for render in (render_map_png, render_timeline_png):
        width, height = png_size(render(scenario, second))
        assert 1000 <= width <= 2000 and 600 <= height <= 2000
    assert png_size(render_map_png(scenario, second, dpi=55))[0] == 660  # 12 in at the given dpi


def test_same_plan_gives_the_same_svg(scenario_and_plan):
    scenario, plan = scenario_and_plan
    for render in (render_map_svg, render_timeline_svg):
        first, again = svg_of(render, scenario, plan), render(scenario, copy.deepcopy(plan))
        assert first == again
        assert "<dc:date>" not in first


def test_pictures_drawn_in_several_threads_at_once_are_the_same(three_cities):
    """The HTTP service draws in a thread pool; matplotlib settings must not leak between drawings."""
    scenario, plan = three_cities
    expected = svg_of(render_map_svg, scenario, plan)
    with ThreadPoolExecutor(max_workers=3) as pool:
        drawn = list(pool.map(lambda _: render_map_svg(scenario, plan), range(3)))
    assert drawn == [expected] * 3


def test_the_map_shows_the_shipped_country_outlines(flagship_versions):
    scenario, first, _second = flagship_versions
    found = groups(svg_of(render_map_svg, scenario, first))
    assert "country-KAZ-0" in found


def test_pictures_read_the_plan_document(three_cities):
    """A plan document draws the same as its JSON; a plan missing a field is refused naming it."""
    scenario, plan = three_cities
    assert render_map_svg(scenario, read_document(plan)) == svg_of(render_map_svg, scenario, plan)
    broken = copy.deepcopy(plan)
    del broken["legs"][0]["depart"]
    for render in (render_map_svg, render_timeline_svg):
        with pytest.raises(PlanDocumentError, match=r"legs\[0\]\.depart: missing"):
            render(scenario, broken)
    assert issubclass(PlanDocumentError, ValueError)  # what the callers of the pictures catch
