"""Pictures of a team plan: each team's legs in its own colour on the map, a group of days per team
on the timeline, labels clear of each other and of the marks, and `planner export` drawing both."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from itertools import combinations
from typing import Any

import numpy as np
import pytest
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from planner.cli import main
from planner.document import PlanDocumentError
from planner.domain import Disruption, Scenario
from planner.pictures import (
    TEAM_COLOURS,
    render_map_png,
    render_map_svg,
    render_timeline_png,
    render_timeline_svg,
)
from planner.pictures.drawing import Drawing, drawing_style
from planner.pictures.plan_view import read_team_plan
from planner.pictures.team_map import draw_team_map
from planner.pictures.team_timeline import draw_team_timeline
from planner.synthetic import synthetic_scenario, tiny_scenario
from planner.team_replan import replan_teams
from planner.teams import plan_teams, teams_plan_json
from tests.conftest import SCENARIOS, load, unhurried
from tests.test_map_labels import arrowhead, drawn_box
from tests.test_pictures import PNG_SIGNATURE, groups, png_size, styles, texts
from tests.test_team_replan import first_flight_cancelled
from tests.test_teams import with_teams

TWO_TEAMS = SCENARIOS / "three-cities-two-teams.yaml"
JOINING = SCENARIOS / "three-cities-joining.yaml"


def team_plan(scenario: Scenario) -> dict[str, Any]:
    return teams_plan_json(scenario, plan_teams(scenario))


def synthetic_teams(name: str) -> Scenario:
    """Two teams on a synthetic instance where both travel: tiny-3 by flight, train and car with a
    road closure; tiny-11 with one team's legs crowding around its start; dense-14 with 14 cities
    and 13 legs, whose leg numbers meet unless they move along their arrows."""
    kind, seed = name.split("-")
    if kind == "tiny":
        return with_teams(unhurried(tiny_scenario(int(seed))), int(seed))
    return with_teams(unhurried(synthetic_scenario(14, 5, 1, flights_per_day=1)), 1)


@pytest.fixture(scope="module")
def two_teams() -> tuple[Scenario, dict[str, Any]]:
    scenario = load(TWO_TEAMS)
    return scenario, team_plan(scenario)


@pytest.fixture(scope="module", params=["three-cities-two-teams", "tiny-3", "tiny-11", "dense-14"])
def scenario_and_plan(request, two_teams) -> tuple[Scenario, dict[str, Any]]:
    if request.param == "three-cities-two-teams":
        return two_teams
    scenario = synthetic_teams(request.param)
    plan = team_plan(scenario)
    assert all(team["plan"]["legs"] for team in plan["teams"]), "every team travels"
    return scenario, plan


_drawn: dict[tuple[int, str], str] = {}


def svg_of(render: Any, scenario: Scenario, plan: dict[str, Any]) -> str:
    key = (id(plan), render.__name__)
    if key not in _drawn:
        _drawn[key] = render(scenario, plan)
    return _drawn[key]


def drawn(draw: Any, scenario: Scenario, plan: dict[str, Any]) -> tuple[Drawing, Any]:
    """The figure before it is saved, and the renderer its boxes are measured with."""
    with drawing_style():
        drawing = draw(scenario, read_team_plan(plan))
        drawing.figure.canvas.draw()
        return drawing, drawing.figure.canvas.get_renderer()


def test_each_team_has_its_colour_on_its_legs_and_no_other(scenario_and_plan):
    scenario, plan = scenario_and_plan
    found = groups(svg_of(render_map_svg, scenario, plan))
    for index, team in enumerate(plan["teams"]):
        mine = TEAM_COLOURS[index]
        others = [c for c in TEAM_COLOURS[: len(plan["teams"])] if c != mine]
        for number, leg in enumerate(team["plan"]["legs"]):
            element = found[f"leg-{team['id']}-{number}"]
            assert element.attrib["class"] == f"leg team-{team['id']} mode-{leg['mode']}"
            style = styles(element)
            assert f"stroke: {mine}" in style
            assert not any(colour in style for colour in others)
            # The mode is the line's style: a flight solid, the others dashed or dotted.
            assert ("stroke-dasharray" in style) is (leg["mode"] != "flight")
            badge = found[f"leg-{team['id']}-{number}-number"]
            assert texts(badge) == [f"{'AB'[index]}{number + 1}"]
    legs = sum(len(team["plan"]["legs"]) for team in plan["teams"])
    assert len([i for i in found if re.fullmatch(r"leg-[\w-]+-\d+", i)]) == legs


def test_seminar_cities_are_marked_in_the_colour_of_the_team_holding_them(scenario_and_plan):
    scenario, plan = scenario_and_plan
    found = groups(svg_of(render_map_svg, scenario, plan))
    for index, team in enumerate(plan["teams"]):
        for seminar in team["plan"]["seminars"]:
            mark = found[f"city-{seminar['city']}"]
            assert {"visited", f"team-{team['id']}"} <= set(mark.attrib["class"].split())
            assert f"fill: {TEAM_COLOURS[index]}" in styles(mark)
            label = " ".join(texts(found[f"label-{seminar['city']}"]))
            assert seminar["city_name"] in label and f"({'AB'[index]})" in label


def test_the_legend_names_every_team_with_its_members_and_colour(scenario_and_plan):
    scenario, plan = scenario_and_plan
    found = groups(svg_of(render_map_svg, scenario, plan))
    legend = found["team-legend"]
    for index, team in enumerate(plan["teams"]):
        line = " ".join(texts(found[f"team-legend-{team['id']}"]))
        assert line.startswith(f"{'AB'[index]}  {team['name']} — {len(team['members'])} members: ")
        assert all(f"{m['name']} ({m['role']})" in line for m in team["members"])
        assert f"stroke: {TEAM_COLOURS[index]}" in styles(legend)
    assert all(mode in " ".join(texts(found["legend"])) for mode in ("flight", "train", "bus", "drive"))


def _boxes(drawing: Drawing, renderer: Any) -> tuple[dict[str, Bbox], dict[str, Bbox]]:
    """The map's labels and leg numbers (with their frames), and its city, start and closure marks
    and its arrowheads, by id."""
    axes = drawing.figure.axes[0]
    labels = {
        gid: drawn_box(t, renderer)
        for t in axes.texts
        if isinstance(t, Text)
        and re.fullmatch(r"label-.*|.*-number|closed-terminal-.*-label", gid := t.get_gid() or "")
    }
    marks = {
        gid: line.get_window_extent(renderer)
        for line in axes.lines
        if isinstance(line, Line2D)
        and re.fullmatch(r"(city|start-end|closed-terminal|joiner-home)-.*", gid := line.get_gid() or "")
    }
    arrows = [patch for patch in axes.patches if isinstance(patch, FancyArrowPatch)]
    marks |= {f"{arrow.get_gid()}-head": arrowhead(arrow, axes) for arrow in arrows}
    return labels, marks


def _intersect(a: Bbox, b: Bbox) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5


def test_labels_and_leg_numbers_clear_each_other_and_the_marks(scenario_and_plan):
    scenario, plan = scenario_and_plan
    drawing, renderer = drawn(draw_team_map, scenario, plan)
    labels, marks = _boxes(drawing, renderer)
    assert {f"city-{city.id}" for city in scenario.cities} <= set(marks)
    assert sum(1 for gid in labels if gid.endswith("-number")) == sum(
        len(t["plan"]["legs"]) for t in plan["teams"]
    )
    clashes = [
        (a, b) for (a, box_a), (b, box_b) in combinations(labels.items(), 2) if _intersect(box_a, box_b)
    ]
    clashes += [
        (a, b) for a, box_a in labels.items() for b, box_b in marks.items() if _intersect(box_a, box_b)
    ]
    assert clashes == []


def test_the_timeline_has_a_group_of_days_per_team_holding_its_own_bars(scenario_and_plan):
    scenario, plan = scenario_and_plan
    found = groups(svg_of(render_timeline_svg, scenario, plan))
    drawing, _renderer = drawn(draw_team_timeline, scenario, plan)
    axes = drawing.figure.axes[0]
    rows: dict[str, set[float]] = {}
    for index, team in enumerate(plan["teams"]):
        heading = found[f"team-{team['id']}"]
        assert heading.attrib["class"] == f"team-heading team-{team['id']}"
        assert texts(heading)[0].startswith(f"{'AB'[index]}  {team['name']} — ")
        assert f"fill: {TEAM_COLOURS[index]}" in styles(found[f"team-{team['id']}-rows"])
        days = [line for line in axes.lines if (line.get_gid() or "").startswith(f"day-{team['id']}-")]
        rows[team["id"]] = {float(np.asarray(line.get_ydata())[0]) - 0.5 for line in days}
        assert len(days) >= scenario.calendar.horizon_days
        for seminar in team["plan"]["seminars"]:
            assert (
                found[f"seminar-{team['id']}-{seminar['city']}"].attrib["class"]
                == f"seminar team-{team['id']}"
            )
        for number, leg in enumerate(team["plan"]["legs"]):
            bar = found[f"leg-{team['id']}-{number}"]
            assert bar.attrib["class"] == f"leg mode-{leg['mode']} team-{team['id']}"
    assert not set.intersection(*rows.values())  # the groups do not share a row
    # Every bar sits in its team's rows.
    for patch in axes.patches:
        match = re.fullmatch(r"(seminar|leg)-([\w]+)-.*", patch.get_gid() or "")
        if match and match.group(2) in rows and isinstance(patch, Rectangle):
            assert patch.get_y() + patch.get_height() / 2 in rows[match.group(2)]
    bars = [i for i in found if i.startswith("seminar-") and not i.endswith("-continued")]
    assert len(bars) == sum(len(team["plan"]["seminars"]) for team in plan["teams"])


def test_a_closure_is_hatched_in_the_group_of_each_team_it_bears_on(two_teams):
    """The Astana-Karaganda road is closed on the morning of 19 Jan: the west team is in Karaganda,
    at its end, so its row is hatched; the east team is in Pavlodar, so its row is not. The key
    lists the closure either way."""
    scenario, plan = two_teams
    found = groups(svg_of(render_timeline_svg, scenario, plan))
    closure = scenario.closures[0].id
    assert [team["id"] for team in plan["teams"]] == ["east", "west"]
    assert found[f"disruption-west-{closure}"].attrib["class"] == "disruption kind-road_closed team-west"
    assert not any(i.startswith(f"disruption-east-{closure}") for i in found)
    assert "road astana-karaganda closed" in " ".join(texts(found["disruption-note-1"]))
    words = " ".join(texts(ET.fromstring(svg_of(render_timeline_svg, scenario, plan))))
    assert "Karaganda" in words and "Pavlodar" in words  # where each team sleeps


def test_a_replanned_version_keeps_each_team_colour_and_shows_the_event(two_teams):
    """The east team's flight is cancelled: version 2 draws each team in the colour of version 1,
    the cancellation in the key, and the moment of the replan in each team's group."""
    scenario, first = two_teams
    flying, flight, now, event = first_flight_cancelled(first)
    cancelled = Disruption.model_validate(event)
    second = replan_teams(scenario, first, now, (cancelled,))
    found = groups(render_map_svg(scenario, second))
    for index, team in enumerate(second["teams"]):
        assert team["id"] == first["teams"][index]["id"]
        for number in range(len(team["plan"]["legs"])):
            assert f"stroke: {TEAM_COLOURS[index]}" in styles(found[f"leg-{team['id']}-{number}"])
    assert any(f"{flight['service']} cancelled" in t for t in texts(found["disruption-note-1"]))
    timeline = groups(render_timeline_svg(scenario, second))
    assert {f"now-{team['id']}" for team in second["teams"]} <= set(timeline)
    assert f"disruption-{flying['id']}-flight-off" in timeline
    assert "version 2" in " ".join(texts(ET.fromstring(render_timeline_svg(scenario, second))))


def test_team_pictures_repeat_exactly_and_pngs_are_pngs(two_teams):
    scenario, plan = two_teams
    for render in (render_map_svg, render_timeline_svg):
        assert render(scenario, copy.deepcopy(plan)) == svg_of(render, scenario, plan)
    for render_png in (render_map_png, render_timeline_png):
        width, height = png_size(render_png(scenario, plan))
        assert 1000 <= width <= 2000 and 500 <= height <= 2500


def test_a_team_plan_missing_a_field_is_refused_naming_it(two_teams):
    scenario, plan = two_teams
    broken = copy.deepcopy(plan)
    del broken["teams"][1]["plan"]["legs"][0]["depart"]
    for render in (render_map_svg, render_timeline_svg):
        with pytest.raises(PlanDocumentError, match=r"teams\[1\]\.plan\.legs\[0\]\.depart: missing"):
            render(scenario, broken)
    del broken["teams"][0]["name"]
    with pytest.raises(PlanDocumentError, match=r"teams\[0\]\.name: missing"):
        render_map_svg(scenario, broken)


def test_export_draws_a_team_plan(tmp_path, capsys, two_teams):
    """`planner export TEAM-PLAN --map --timeline` writes both pictures, with or without --scenario."""
    _scenario, plan = two_teams
    path = tmp_path / "team-plan.json"
    path.write_text(json.dumps(plan))
    map_svg, timeline_png = tmp_path / "out" / "map.svg", tmp_path / "out" / "timeline.png"
    argv = [
        "export",
        str(path),
        "--scenario",
        str(TWO_TEAMS),
        "--map",
        str(map_svg),
        "--timeline",
        str(timeline_png),
    ]
    assert main(argv) == 0
    assert "team-legend-east" in groups(map_svg.read_text())
    assert timeline_png.read_bytes().startswith(PNG_SIGNATURE)
    map_png, timeline_svg = tmp_path / "map.png", tmp_path / "timeline.svg"
    assert main(["export", str(path), "--map", str(map_png), "--timeline", str(timeline_svg)]) == 0
    assert "named by the plan" in capsys.readouterr().out
    assert map_png.read_bytes().startswith(PNG_SIGNATURE)
    assert "team-west" in groups(timeline_svg.read_text())


def test_export_of_a_team_plan_refuses_the_single_plan_outputs(tmp_path, capsys, two_teams):
    _scenario, plan = two_teams
    path = tmp_path / "team-plan.json"
    path.write_text(json.dumps(plan))
    assert (
        main(["export", str(path), "--map", str(tmp_path / "map.svg"), "--ics", str(tmp_path / "a.ics")]) == 2
    )
    assert "--members-ics" in capsys.readouterr().err
    assert not (tmp_path / "map.svg").exists()
    three = SCENARIOS / "three-cities.yaml"
    assert main(["export", str(path), "--scenario", str(three), "--map", str(tmp_path / "map.svg")]) == 2
    assert "the plan is for 'three-cities-two-teams'" in capsys.readouterr().err
    assert not (tmp_path / "map.svg").exists()


# --- A member joining a team en route ------------------------------------------------------


def with_joiner_from(plan: dict[str, Any], home: str) -> dict[str, Any]:
    """The plan with the last member of its first team meeting it at the team's first seminar
    away from ``home``, from ``home`` by one drive that arrives two hours before: made by hand
    (the pictures draw what the plan says), as the planner writes a joiner."""
    made = copy.deepcopy(plan)
    team = made["teams"][0]
    seminar = next(s for s in team["plan"]["seminars"] if s["city"] != home)
    at = dt.datetime.fromisoformat(seminar["start"])
    leg = {
        **team["plan"]["legs"][0],
        **{"mode": "drive", "service": f"{home}-{seminar['city']}", "from": home, "to": seminar["city"]},
        **{"from_city": home, "to_city": seminar["city"], "minutes": 180, "run_date": None},
        "depart": (at - dt.timedelta(hours=5)).isoformat(timespec="minutes"),
        "arrive": (at - dt.timedelta(hours=2)).isoformat(timespec="minutes"),
    }
    leg.pop("people", None), leg.pop("vehicles", None), leg.pop("backup", None)
    own = {**team["plan"], "legs": [leg], "connections": [], "nights": [], "seminars": [seminar]}
    team["joiner"] = {
        "member": team["members"][-1]["id"],
        "home_city": home,
        "city": seminar["city"],
        "at": at.isoformat(),
        "plan": own,
    }
    return made


@pytest.fixture(scope="module")
def joining() -> tuple[Scenario, dict[str, Any]]:
    """The three-cities-joining plan: the UNDP officer joins the East team at home in Pavlodar."""
    scenario = load(JOINING)
    return scenario, team_plan(scenario)


@pytest.fixture(scope="module", params=["at-home", "from-astana", "from-an-unvisited-city"])
def joined(request, joining) -> tuple[Scenario, dict[str, Any]]:
    """A team plan with a joiner: as planned (no legs of her own); from home in Astana, the start,
    by a drive; on dense-14, from a city nothing else marks."""
    scenario, plan = joining
    if request.param == "at-home":
        assert plan["teams"][0]["joiner"]["plan"]["legs"] == []
        return scenario, plan
    if request.param == "from-astana":
        return scenario, with_joiner_from(plan, "astana")
    dense = synthetic_teams("dense-14")
    made = with_joiner_from(team_plan(dense), "C04")
    held = {s["city"] for team in made["teams"] for s in team["plan"]["seminars"]}
    assert "C04" not in held and "C04" not in (dense.delegation.start_city, dense.delegation.end_city)
    return dense, made


def test_a_joiners_own_legs_are_drawn_thin_and_dashed_in_the_team_colour_and_numbered(joined):
    scenario, plan = joined
    found = groups(svg_of(render_map_svg, scenario, plan))
    team = plan["teams"][0]
    joiner = team["joiner"]
    for number, leg in enumerate(joiner["plan"]["legs"]):
        element = found[f"joiner-leg-{team['id']}-{number}"]
        assert element.attrib["class"] == f"leg joiner team-{team['id']} mode-{leg['mode']}"
        style = styles(element)
        assert f"stroke: {TEAM_COLOURS[0]}" in style and "stroke-dasharray" in style
        widths = {float(w) for w in re.findall(r"stroke-width: ([\d.]+)", style)}
        team_widths = {
            float(w) for w in re.findall(r"stroke-width: ([\d.]+)", styles(found[f"leg-{team['id']}-0"]))
        }
        assert max(widths) < max(team_widths)  # thinner than the team's own legs
        assert texts(found[f"joiner-leg-{team['id']}-{number}-number"]) == [f"Aj{number + 1}"]
    drawn_legs = [i for i in found if re.fullmatch(r"joiner-leg-[\w-]+-\d+", i)]
    assert len(drawn_legs) == len(joiner["plan"]["legs"])
    # The legend says who joins which team where, when and from where, and by which legs.
    line = " ".join(texts(found[f"team-legend-{team['id']}-joiner"]))
    name = next(m["name"] for m in team["members"] if m["id"] == joiner["member"])
    city, home = scenario.city(joiner["city"]).name, scenario.city(joiner["home_city"]).name
    assert line.startswith(f"Aj  {name} joins A at {city}, ") and f"from home in {home}" in line
    at = dt.datetime.fromisoformat(joiner["at"])
    assert f"{at:%a} {at.day} {at:%b} {at:%H:%M}" in line
    legs = joiner["plan"]["legs"]
    assert line.endswith(
        ", ".join(f"Aj{i + 1} {leg['mode']}" for i, leg in enumerate(legs)) if legs else "(no travel)"
    )


def test_a_joiners_home_is_marked_when_nothing_else_marks_it(joined):
    scenario, plan = joined
    found = groups(svg_of(render_map_svg, scenario, plan))
    team, home = plan["teams"][0], plan["teams"][0]["joiner"]["home_city"]
    held = {s["city"] for t in plan["teams"] for s in t["plan"]["seminars"]}
    marked = home in held or home in (scenario.delegation.start_city, scenario.delegation.end_city)
    assert (f"joiner-home-{team['id']}" in found) is not marked
    assert ("(home of Aj)" in " ".join(texts(found[f"label-{home}"]))) is not marked
    if not marked:
        assert found[f"joiner-home-{team['id']}"].attrib["class"] == f"joiner-home team-{team['id']}"
        assert f"stroke: {TEAM_COLOURS[0]}" in styles(found[f"joiner-home-{team['id']}"])
        assert "home of a joiner" in " ".join(texts(found["legend"]))


def test_with_a_joiner_labels_and_leg_numbers_clear_each_other_and_the_marks(joined):
    scenario, plan = joined
    drawing, renderer = drawn(draw_team_map, scenario, plan)
    labels, marks = _boxes(drawing, renderer)
    joiner = plan["teams"][0]["joiner"]
    legs = sum(len(t["plan"]["legs"]) for t in plan["teams"]) + len(joiner["plan"]["legs"])
    assert sum(1 for gid in labels if gid.endswith("-number")) == legs
    clashes = [
        (a, b) for (a, box_a), (b, box_b) in combinations(labels.items(), 2) if _intersect(box_a, box_b)
    ]
    clashes += [
        (a, b) for a, box_a in labels.items() for b, box_b in marks.items() if _intersect(box_a, box_b)
    ]
    assert clashes == []


def test_the_timeline_gives_a_joiner_rows_of_their_own_and_marks_the_join(joined):
    scenario, plan = joined
    found = groups(svg_of(render_timeline_svg, scenario, plan))
    drawing, renderer = drawn(draw_team_timeline, scenario, plan)
    axes = drawing.figure.axes[0]
    team, joiner = plan["teams"][0], plan["teams"][0]["joiner"]
    tid = team["id"]
    assert found[f"joiner-{tid}"].attrib["class"] == f"joiner-heading team-{tid}"
    assert texts(found[f"joiner-{tid}"])[0].startswith("Aj  ")

    def rows(prefix: str) -> set[float]:
        lines = [line for line in axes.lines if (line.get_gid() or "").startswith(prefix)]
        return {float(np.asarray(line.get_ydata())[0]) - 0.5 for line in lines}

    theirs, teams = rows(f"joiner-day-{tid}-"), rows(f"day-{tid}-")
    other = rows(f"day-{plan['teams'][1]['id']}-")
    # Their days come after the team's and before the next team's, from their first leg to the join.
    assert max(teams) < min(theirs) and max(theirs) < min(other)
    at = dt.datetime.fromisoformat(joiner["at"])
    home = scenario.city(scenario.delegation.start_city).zone
    # From their first leg or night (a night at home once free counts) to the join.
    dates = [at.astimezone(home).date()]
    dates += [
        dt.datetime.fromisoformat(leg["depart"]).astimezone(home).date() for leg in joiner["plan"]["legs"]
    ]
    dates += [dt.date.fromisoformat(night["date"]) for night in joiner["plan"]["nights"]]
    assert len(theirs) == (at.astimezone(home).date() - min(dates)).days + 1
    for number, leg in enumerate(joiner["plan"]["legs"]):
        bar = found[f"joiner-leg-{tid}-{number}"]
        assert bar.attrib["class"] == f"leg mode-{leg['mode']} joiner team-{tid}"
    bars = [p for p in axes.patches if re.fullmatch(r"joiner-(leg|seminar)-.*", p.get_gid() or "")]
    assert len(bars) >= len(joiner["plan"]["legs"]) + 1
    assert all(isinstance(p, Rectangle) and p.get_y() + p.get_height() / 2 in theirs for p in bars)
    # The join: a line in the team's colour at the seminar's start, in the team's rows and in theirs.
    hour = at.astimezone(home).hour + at.astimezone(home).minute / 60
    for gid, where in ((f"joins-{tid}", teams), (f"joiner-joins-{tid}", theirs)):
        mark = next(line for line in axes.lines if line.get_gid() == gid)
        assert list(np.asarray(mark.get_xdata())) == [hour, hour]
        assert float(np.asarray(mark.get_ydata())[0]) + 0.5 in where
        assert mark.get_color() == TEAM_COLOURS[0]
    name = next(m["name"] for m in team["members"] if m["id"] == joiner["member"])
    label = next(t for t in axes.texts if t.get_gid() == f"joins-{tid}-label")
    assert label.get_text() == f"{name} joins"
    box = label.get_window_extent(renderer)
    others = [t for t in axes.texts if t is not label and t.get_text().strip()]
    assert [t.get_text() for t in others if _intersect(box, t.get_window_extent(renderer))] == []


def test_pictures_without_a_joiner_draw_nothing_of_one(two_teams):
    scenario, plan = two_teams
    for render in (render_map_svg, render_timeline_svg):
        svg = svg_of(render, scenario, plan)
        assert "joiner" not in svg and "joins" not in svg


def test_a_wrong_joiner_field_is_named(joining):
    scenario, plan = joining
    broken = with_joiner_from(plan, "astana")
    del broken["teams"][0]["joiner"]["plan"]["legs"][0]["depart"]
    with pytest.raises(PlanDocumentError, match=r"teams\[0\]\.joiner\.plan\.legs\[0\]\.depart: missing"):
        render_map_svg(scenario, broken)
    broken = copy.deepcopy(plan)
    broken["teams"][0]["joiner"]["at"] = "Tuesday"
    with pytest.raises(PlanDocumentError, match=r"teams\[0\]\.joiner\.at: expected a local time"):
        render_timeline_svg(scenario, broken)
