"""Calendar (ICS) and map (GeoJSON) exports, read back by parsers that share no code with them.

The ICS files are parsed with vobject (whose time zones come from the file's own VTIMEZONE
components), the GeoJSON is validated with the geojson package.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geojson
import pytest
import vobject
from fastapi.testclient import TestClient

from api.app import create_app
from planner.cli import main
from planner.domain import Scenario
from planner.exports import plan_to_geojson, plan_to_ics
from planner.pictures import render_map_svg
from planner.replan import replan
from planner.scenario import events_from_data, load_events
from tests.api_support import ACME, REPLAN_NOW, RIVAL, TRAIN_CANCELLED, api_settings
from tests.conftest import FLAGSHIP, ROOT, SCENARIOS, load, make_plan

THREE = SCENARIOS / "three-cities.yaml"
STAMP = dt.datetime(2016, 1, 1, tzinfo=dt.UTC)
AKTAU_CLOSED = SCENARIOS / "events" / "aktau-airport-closed.yaml"
AKTAU_NOW = dt.datetime.fromisoformat("2016-01-21T07:00+05:00")


@pytest.fixture(scope="module")
def flagship() -> Scenario:
    return load(FLAGSHIP)


@pytest.fixture(scope="module")
def flagship_versions(flagship: Scenario) -> tuple[dict[str, Any], dict[str, Any]]:
    """Version 1 of the flagship and version 2 after the Aktau airport closure."""
    first = make_plan(flagship)
    events = load_events(AKTAU_CLOSED, flagship).events
    return first, replan(flagship, first, AKTAU_NOW, events).plan


@pytest.fixture(scope="module")
def three() -> Scenario:
    return load(THREE)


@pytest.fixture(scope="module")
def three_plan(three: Scenario) -> dict[str, Any]:
    return make_plan(three)


def events_of(ics: bytes | str) -> list[Any]:
    text = ics.decode() if isinstance(ics, bytes) else ics
    calendar = vobject.readOne(text)
    return [c for c in calendar.components() if c.name == "VEVENT"]


def by_uid(ics: bytes | str) -> dict[str, Any]:
    events = events_of(ics)
    uids = [e.uid.value for e in events]
    assert len(set(uids)) == len(uids), "a UID appears twice in one file"
    return dict(zip(uids, events, strict=True))


def status(event: Any) -> str:
    return str(event.status.value)


def utc(event: Any, name: str = "dtstart") -> dt.datetime:
    moment: dt.datetime = getattr(event, name).value
    assert moment.tzinfo is not None
    return moment.astimezone(dt.UTC)


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


# --- calendar -------------------------------------------------------------------------


def test_a_seminar_at_0930_in_aktau_is_0430_utc(
    flagship: Scenario, flagship_versions: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """Times keep their city's zone: Aktau (UTC+5 in 2016) 09:30 is 04:30 UTC, Astana 09:30 is 03:30."""
    first, _ = flagship_versions
    events = events_of(plan_to_ics(flagship, first, stamp=STAMP))
    aktau = next(e for e in events if e.summary.value.startswith("Seminar in Aktau"))
    assert aktau.dtstart.value.strftime("%H:%M") == "09:30"
    assert aktau.dtstart.value.utcoffset() == dt.timedelta(hours=5)
    assert utc(aktau).strftime("%H:%M") == "04:30"
    astana = next(e for e in events if e.summary.value.startswith("Seminar in Astana"))
    assert astana.dtstart.value.utcoffset() == dt.timedelta(hours=6)
    assert utc(astana).strftime("%H:%M") == "03:30"


def test_every_event_is_at_the_plans_instant_in_its_citys_zone(
    flagship: Scenario, flagship_versions: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """Each seminar and leg starts and ends at the plan's instants, named by the city's IANA zone."""
    first, _ = flagship_versions
    text = plan_to_ics(flagship, first, stamp=STAMP).decode()
    events = events_of(text)
    zones = {c.id: c.timezone for c in flagship.cities}
    starts = {(utc(e), utc(e, "dtend")): e for e in events}
    for item in first["seminars"]:
        event = starts[(instant(item["start"]), instant(item["end"]))]
        assert event.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == [zones[item["city"]]]
    for leg in first["legs"]:
        event = starts[(instant(leg["depart"]), instant(leg["arrive"]))]
        assert event.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == [zones[leg["from_city"]]]
        assert event.dtend.params["X-VOBJ-ORIGINAL-TZID"] == [zones[leg["to_city"]]]
    assert "Flight KC883 Astana TSE -> Kostanay KSN" in {e.summary.value for e in events}


def test_every_zone_used_has_its_vtimezone_with_the_2016_offsets(
    flagship: Scenario, flagship_versions: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """A VTIMEZONE for each TZID the events use, stating the offsets of 2016 (Almaty +06, not 2024's +05)."""
    _, second = flagship_versions
    text = plan_to_ics(flagship, second, stamp=STAMP).decode()
    used = set(re.findall(r";TZID=([^:;]+):", text))
    calendar = vobject.readOne(text)
    defined = {c.tzid.value: c for c in calendar.components() if c.name == "VTIMEZONE"}
    assert used and used <= set(defined)
    assert {"Asia/Almaty", "Asia/Aqtau"} <= used
    in_trip = dt.datetime(2016, 1, 22, 12, 0)
    assert defined["Asia/Almaty"].gettzinfo().utcoffset(in_trip) == dt.timedelta(hours=6)
    assert defined["Asia/Aqtau"].gettzinfo().utcoffset(in_trip) == dt.timedelta(hours=5)


def test_one_event_per_seminar_and_leg_plus_what_the_replan_cancelled(
    flagship: Scenario, flagship_versions: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """Version 1: seminars + legs, none cancelled. Version 2 adds its diff's removed legs, cancelled."""
    first, second = flagship_versions
    one = events_of(plan_to_ics(flagship, first, stamp=STAMP))
    assert len(one) == len(first["seminars"]) + len(first["legs"])
    assert {status(e) for e in one} == {"CONFIRMED"}
    two = events_of(plan_to_ics(flagship, second, stamp=STAMP))
    removed = second["diff"]["legs"]["removed"] + second["diff"]["seminars"]["dropped"]
    assert removed
    assert len(two) == len(second["seminars"]) + len(second["legs"]) + len(removed)
    assert sum(status(e) == "CANCELLED" for e in two) == len(removed)


def test_uids_survive_the_replan_after_the_aktau_closure(
    flagship: Scenario, flagship_versions: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """The moved Aktau seminar keeps its UID with a new start and a higher SEQUENCE; every event of
    version 1 is in version 2, either still planned or cancelled; removed legs are the cancelled ones."""
    first, second = flagship_versions
    one = by_uid(plan_to_ics(flagship, first, stamp=STAMP))
    two = by_uid(plan_to_ics(flagship, second, stamp=STAMP))
    moved = next(m for m in second["diff"]["seminars"]["moved"] if m["city"] == "aktau")
    [uid] = [u for u, e in one.items() if e.summary.value.startswith("Seminar in Aktau")]
    assert utc(one[uid]) == instant(moved["old_start"])
    assert utc(two[uid]) == instant(moved["new_start"]) != utc(one[uid])
    assert status(two[uid]) == "CONFIRMED"
    assert int(one[uid].sequence.value) == 1 and int(two[uid].sequence.value) == 2
    assert set(one) <= set(two)
    cancelled = {u for u, e in two.items() if status(e) == "CANCELLED"}
    removed = {(instant(leg["depart"]), leg["service"]) for leg in second["diff"]["legs"]["removed"]}
    assert {(utc(two[u]), one[u].summary.value.split()[1]) for u in cancelled} == removed
    assert all(two[u].summary.value.startswith("Cancelled: ") for u in cancelled)
    assert all(int(e.sequence.value) == 2 for e in two.values())


def test_a_later_version_cancels_what_only_an_earlier_version_held(
    flagship: Scenario, flagship_versions: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """A version 3 whose diff (against version 2) is empty still cancels version 1's removed legs
    when given the earlier versions; without them only its own diff counts."""
    first, second = flagship_versions
    third = {**second, "version": 3, "based_on": 2, "events": []}
    third["diff"] = {"seminars": {"kept": [], "moved": [], "dropped": [], "added": []}}
    third["diff"]["legs"] = {"removed": [], "added": []}
    third["diff"]["changes"] = 0
    with_history = events_of(plan_to_ics(flagship, third, earlier=[first, second], stamp=STAMP))
    alone = events_of(plan_to_ics(flagship, third, stamp=STAMP))
    assert sum(status(e) == "CANCELLED" for e in with_history) == len(second["diff"]["legs"]["removed"])
    assert sum(status(e) == "CANCELLED" for e in alone) == 0


def test_a_dropped_seminar_is_cancelled_and_a_retimed_drive_keeps_its_uid(three: Scenario) -> None:
    """Three cities driving at any hour of the window and leaving as a seminar ends, overnight train
    cancelled: Pavlodar's seminar, the train and the return flight are cancelled; the drive back from
    Karaganda, now earlier the same day, is the same event."""
    rules = three.delegation.rules.model_copy(update={"daylight_driving": False, "after_seminar_min": 0})
    three = three.model_copy(update={"delegation": three.delegation.model_copy(update={"rules": rules})})
    three_plan = make_plan(three)
    events = events_from_data({"name": "train-cancelled", "events": [TRAIN_CANCELLED]}, three).events
    second = replan(three, three_plan, dt.datetime.fromisoformat(REPLAN_NOW), events).plan
    assert [d["city"] for d in second["diff"]["seminars"]["dropped"]] == ["pavlodar"]
    one = by_uid(plan_to_ics(three, three_plan, stamp=STAMP))
    two = by_uid(plan_to_ics(three, second, stamp=STAMP))
    cancelled = {u: e.summary.value for u, e in two.items() if status(e) == "CANCELLED"}
    assert sorted(cancelled.values()) == [
        "Cancelled: Flight KC886 Pavlodar PWQ -> Astana TSE",
        "Cancelled: Seminar in Pavlodar (regions: pavlodar)",
        "Cancelled: Train KTZ031 Astana (Astana-1 station) -> Pavlodar (Pavlodar station)",
    ]
    assert "unreachable" in two[next(u for u in cancelled if "seminar" in u)].description.value
    [drive] = [u for u, e in two.items() if e.summary.value == "Drive Karaganda -> Astana"]
    assert status(two[drive]) == "CONFIRMED" and utc(two[drive]) < utc(one[drive])
    assert set(one) <= set(two)


def test_two_plans_of_one_scenario_never_share_a_uid(three: Scenario, three_plan: dict[str, Any]) -> None:
    """The calendar id (the plan's id in the HTTP service) is part of every UID."""
    one = by_uid(plan_to_ics(three, three_plan, calendar_id="plan-a", stamp=STAMP))
    two = by_uid(plan_to_ics(three, three_plan, calendar_id="plan-b", stamp=STAMP))
    assert len(one) == len(two) and not set(one) & set(two)


def test_same_plan_same_file(three: Scenario, three_plan: dict[str, Any]) -> None:
    """Given its stamp, a plan always gives the same bytes (zones and events in a fixed order)."""
    assert plan_to_ics(three, three_plan, stamp=STAMP) == plan_to_ics(three, three_plan, stamp=STAMP)


def test_times_on_a_clock_change_day_use_the_summer_offset() -> None:
    """Berlin, 27 March 2016 (clocks forward at 02:00): the 09:00 train is 07:00 UTC, and the
    VTIMEZONE states both offsets."""
    scenario = load(ROOT / "tests" / "data" / "check-dst.yaml")
    data = make_plan(scenario)
    text = plan_to_ics(scenario, data, stamp=STAMP).decode()
    train = next(e for e in events_of(text) if e.summary.value.startswith("Train ICE1"))
    assert train.dtstart.value.strftime("%H:%M") == "09:00"
    assert utc(train) == dt.datetime(2016, 3, 27, 7, 0, tzinfo=dt.UTC)
    assert "TZOFFSETTO:+0200" in text and "TZOFFSETTO:+0100" in text


# --- map ------------------------------------------------------------------------------


def test_geojson_is_valid_rfc_7946(
    flagship: Scenario, flagship_versions: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """The geojson package accepts the FeatureCollection and every feature in it."""
    _, second = flagship_versions
    collection = plan_to_geojson(flagship, second)
    parsed = geojson.loads(json.dumps(collection))
    assert parsed.is_valid, parsed.errors()
    assert isinstance(parsed, geojson.FeatureCollection)
    assert all(feature.is_valid for feature in parsed["features"])
    assert "crs" not in collection  # RFC 7946 dropped it: positions are WGS 84 longitude, latitude


def test_one_line_per_leg_from_city_to_city_in_lon_lat_order(
    flagship: Scenario, flagship_versions: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """A LineString per leg, from its departure city to its arrival city, [longitude, latitude]."""
    _, second = flagship_versions
    features = plan_to_geojson(flagship, second)["features"]
    lines = [f for f in features if f["geometry"]["type"] == "LineString"]
    assert len(lines) == len(second["legs"])
    cities = {c.id: c for c in flagship.cities}
    for line, leg in zip(lines, second["legs"], strict=True):
        first, last = line["geometry"]["coordinates"][0], line["geometry"]["coordinates"][-1]
        origin, destination = cities[leg["from_city"]], cities[leg["to_city"]]
        assert first == [origin.lon, origin.lat] and last == [destination.lon, destination.lat]
        properties = line["properties"]
        assert {k: properties[k] for k in ("mode", "service", "from", "to", "depart", "arrive")} == {
            k: leg[k] for k in ("mode", "service", "from", "to", "depart", "arrive")
        }
        assert properties["minutes"] == leg["minutes"]
        assert properties["distance_km"] == leg["distance_km"]


def leg_lines(collection: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in collection["features"] if f["geometry"]["type"] == "LineString"]


def test_legs_are_numbered_from_1_as_on_the_map(
    flagship: Scenario, flagship_versions: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """Leg n of the GeoJSON is the leg numbered n on the map (both count from 1, in plan order)."""
    _, second = flagship_versions
    lines = leg_lines(plan_to_geojson(flagship, second))
    assert [f["id"] for f in lines] == [f"leg-{n}" for n in range(1, len(second["legs"]) + 1)]
    assert [f["properties"]["number"] for f in lines] == list(range(1, len(second["legs"]) + 1))
    assert all("index" not in f["properties"] for f in lines)
    svg = ET.fromstring(render_map_svg(flagship, second))
    badges = {
        g.attrib["id"]: "".join(g.itertext()).strip()
        for g in svg.iter("{http://www.w3.org/2000/svg}g")
        if re.fullmatch(r"leg-\d+-number", g.attrib.get("id", ""))
    }
    for index, line in enumerate(lines):
        assert badges[f"leg-{index}-number"] == str(line["properties"]["number"])


def test_every_leg_has_a_run_date_a_drive_the_local_date_it_starts(
    flagship: Scenario, flagship_versions: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    _, second = flagship_versions
    lines = leg_lines(plan_to_geojson(flagship, second))
    drives = 0
    for line, leg in zip(lines, second["legs"], strict=True):
        run_date = line["properties"]["run_date"]
        assert run_date is not None and dt.date.fromisoformat(run_date)
        if leg["mode"] == "drive":
            drives += 1
            assert leg["run_date"] is None  # the plan states none for a drive
            zone = flagship.city(leg["from_city"]).zone
            assert run_date == dt.datetime.fromisoformat(leg["depart"]).astimezone(zone).date().isoformat()
            assert line["properties"]["depart"].startswith(run_date)
        else:
            assert run_date == leg["run_date"]
    assert drives >= 1


def test_one_point_per_city_with_its_roles_and_seminar(
    flagship: Scenario, flagship_versions: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    """Astana starts, holds a seminar and ends the trip; Aktau is at [51.2, 43.6]-ish with its seminar."""
    _, second = flagship_versions
    points = {
        f["properties"]["id"]: f
        for f in plan_to_geojson(flagship, second)["features"]
        if f["geometry"]["type"] == "Point"
    }
    visited = {s["city"] for s in second["seminars"]} | {leg["to_city"] for leg in second["legs"]}
    assert set(points) == visited | {"astana"}
    assert points["astana"]["properties"]["roles"] == ["start", "seminar", "end"]
    aktau = points["aktau"]
    lon, lat = aktau["geometry"]["coordinates"]
    assert 50 < lon < 52 and 43 < lat < 44  # Aktau, on the Caspian: longitude first
    seminar = next(s for s in second["seminars"] if s["city"] == "aktau")
    assert aktau["properties"]["seminar_start"] == seminar["start"]
    assert aktau["properties"]["seminar_end"] == seminar["end"]
    assert aktau["properties"]["roles"] == ["seminar"]


# --- command line ---------------------------------------------------------------------


def test_cli_export_writes_both_files(
    tmp_path: Path, three_plan: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """`planner export` finds the bundled scenario named by the plan and writes ICS and GeoJSON."""
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(three_plan))
    ics, mapped = tmp_path / "out" / "trip.ics", tmp_path / "out" / "trip.geojson"
    assert main(["export", str(plan_file), "--ics", str(ics), "--geojson", str(mapped)]) == 0
    out = capsys.readouterr().out
    assert "three-cities.yaml (named by the plan)" in out
    assert len(events_of(ics.read_bytes())) == len(three_plan["seminars"]) + len(three_plan["legs"])
    assert geojson.loads(mapped.read_text()).is_valid
    assert main(["export", str(plan_file), "--scenario", str(THREE), "--ics", str(ics)]) == 0


def test_cli_export_of_a_bad_plan_names_the_file_and_field(
    tmp_path: Path, three_plan: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """A leg without a departure time: exit 2, the message names the file and legs[0].depart."""
    broken = json.loads(json.dumps(three_plan))
    del broken["legs"][0]["depart"]
    plan_file = tmp_path / "broken.json"
    plan_file.write_text(json.dumps(broken))
    assert main(["export", str(plan_file), "--scenario", str(THREE), "--ics", str(tmp_path / "x.ics")]) == 2
    err = capsys.readouterr().err
    assert "broken.json" in err and "legs[0].depart: missing" in err and "Traceback" not in err
    assert not (tmp_path / "x.ics").exists()

    plan_file.write_text("{not json")
    assert main(["export", str(plan_file), "--ics", str(tmp_path / "x.ics")]) == 2
    assert "cannot read the plan" in capsys.readouterr().err

    plan_file.write_text(json.dumps({**three_plan, "scenario": "atlantis"}))
    assert main(["export", str(plan_file), "--ics", str(tmp_path / "x.ics")]) == 2
    assert "no bundled scenario 'atlantis'" in capsys.readouterr().err

    assert main(["export", str(plan_file)]) == 2
    assert "--ics" in capsys.readouterr().err


def test_cli_export_draws_the_map_and_the_timeline(tmp_path: Path, three_plan: dict[str, Any]) -> None:
    """--map and --timeline write an SVG or a PNG by the file's suffix."""
    pytest.importorskip("planner.pictures")
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(three_plan))
    drawn, timeline = tmp_path / "map.svg", tmp_path / "timeline.png"
    assert main(["export", str(plan_file), "--map", str(drawn), "--timeline", str(timeline)]) == 0
    assert "<svg" in drawn.read_text()
    assert timeline.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert main(["export", str(plan_file), "--map", str(tmp_path / "map.pdf")]) == 2


# --- HTTP -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(api_settings(tmp_path_factory.mktemp("exports")))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def stored_plan(client: TestClient) -> str:
    """A three-cities plan with a version 2 after the overnight train was cancelled."""
    response = client.post("/v1/plans", json={"scenario_name": "three-cities"}, headers=ACME)
    assert response.status_code == 201, response.text
    plan_id: str = response.json()["id"]
    body = {"base_version": 1, "now": REPLAN_NOW, "events": [TRAIN_CANCELLED]}
    replanned = client.post(f"/v1/plans/{plan_id}/replan", json=body, headers=ACME)
    assert replanned.status_code == 201, replanned.text
    return plan_id


def test_http_calendar_of_each_version(client: TestClient, stored_plan: str) -> None:
    """200 text/calendar; version 2 holds every UID of version 1 (some cancelled), keyed by the plan id."""
    base = f"/v1/plans/{stored_plan}/versions"
    one = client.get(f"{base}/1/itinerary.ics", headers=ACME)
    two = client.get(f"{base}/2/itinerary.ics", headers=ACME)
    for response in (one, two):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/calendar")
        assert response.headers["content-disposition"].endswith('.ics"')
    first, second = by_uid(one.text), by_uid(two.text)
    assert set(first) <= set(second)
    assert all(stored_plan in uid for uid in second)
    assert sum(status(e) == "CANCELLED" for e in second.values()) == 3
    assert client.get(f"{base}/1/itinerary.ics", headers=ACME).content == one.content


def test_http_map_of_a_version(client: TestClient, stored_plan: str) -> None:
    """200 application/geo+json, valid GeoJSON."""
    response = client.get(f"/v1/plans/{stored_plan}/versions/1/route.geojson", headers=ACME)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/geo+json"
    assert geojson.loads(response.text).is_valid


@pytest.mark.parametrize("name", ["itinerary.ics", "route.geojson"])
def test_http_exports_are_404_for_another_organisation_or_a_missing_version(
    client: TestClient, stored_plan: str, name: str
) -> None:
    """Another organisation's plan and a version that does not exist are both 404; no key is 401."""
    base = f"/v1/plans/{stored_plan}/versions"
    assert client.get(f"{base}/1/{name}", headers=RIVAL).status_code == 404
    assert client.get(f"{base}/3/{name}", headers=ACME).status_code == 404
    assert client.get(f"/v1/plans/nope/versions/1/{name}", headers=ACME).status_code == 404
    assert client.get(f"{base}/1/{name}").status_code == 401


def test_http_exports_are_documented_with_their_content_types(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    ics = paths["/v1/plans/{plan_id}/versions/{number}/itinerary.ics"]["get"]["responses"]
    mapped = paths["/v1/plans/{plan_id}/versions/{number}/route.geojson"]["get"]["responses"]
    assert list(ics["200"]["content"]) == ["text/calendar"]
    assert list(mapped["200"]["content"]) == ["application/geo+json"]
    assert "404" in ics and "404" in mapped
