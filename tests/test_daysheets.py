"""Day sheets: the printable itinerary of a plan, a team plan, each team and each member, read back
from the PDF (pixels and text, with pypdfium2) on the flagship and on team plans; bad input named."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from planner.cli import main
from planner.daysheets import SheetError, build_sheets
from planner.daysheets_pdf import render_pdf
from planner.domain import Mode, Scenario
from planner.scenario import load_scenario
from tests.api_support import ACME, RIVAL, ROOT, api_settings

GOLDEN = ROOT / "tests" / "data" / "golden"
FLAGSHIP = "kazakhstan-winter-2016"
TWO_TEAMS = "three-cities-two-teams"
JOINING = "three-cities-joining"


def golden_plan(name: str) -> dict[str, Any]:
    """A bundled scenario's golden plan, with the solve times the golden file blanks put back."""
    text = (GOLDEN / f"{name}.plan.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text.replace('"<time>"', "1.0"))
    return data


def scenario(name: str) -> Scenario:
    return load_scenario(ROOT / "scenarios" / f"{name}.yaml")


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text, its whitespace (line breaks of wrapped text included) made single spaces."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()


def assert_pages_drawn(pdf: bytes) -> None:
    """Every page is A4 and has ink: a share of dark pixels no blank page has."""
    document = pdfium.PdfDocument(pdf)
    try:
        assert len(document) >= 1
        for page in document:
            width, height = page.get_size()
            assert (round(width), round(height)) == (595, 842)  # A4 in points
            image = page.render(scale=0.5).to_pil().convert("L")
            dark = sum(image.histogram()[:128])
            assert dark > 0.004 * image.width * image.height
    finally:
        document.close()


def clock(text: str) -> str:
    moment = dt.datetime.fromisoformat(text)
    hours = int((moment.utcoffset() or dt.timedelta()).total_seconds() // 3600)
    return f"{moment:%H:%M} {'+' if hours >= 0 else '-'}{abs(hours):02d}"


def expected_check_ins(seen: Scenario, plan: dict[str, Any]) -> list[str]:
    """Each ride's check-in clock: its terminal's check-in (and the departure buffer) before it, or
    the arrival of the leg before it within its connection when that is later (a transfer)."""
    terminals = seen.terminals()
    buffer = seen.delegation.rules.departure_buffer_min
    before: dict[int, int] = {}
    for connection in plan["connections"]:
        legs = connection["legs"]
        before.update(zip(legs[1:], legs, strict=False))
    clocks = []
    for index, leg in enumerate(plan["legs"]):
        if Mode(leg["mode"]) == Mode.DRIVE:
            continue
        lead = terminals[leg["from"]].check_in_min + buffer
        if not lead:
            continue
        depart = dt.datetime.fromisoformat(leg["depart"])
        check = depart - dt.timedelta(minutes=lead)
        if index in before:
            check = max(check, dt.datetime.fromisoformat(plan["legs"][before[index]]["arrive"]))
        clocks.append(clock(check.astimezone(depart.tzinfo).isoformat()))
    return clocks


def assert_itinerary(seen: Scenario, plan: dict[str, Any], text: str) -> None:
    """Each day's seminars, legs, terminals, check-ins and nights are in the text, each seminar
    and leg under its own day's heading."""
    cities = {c.id: c for c in seen.cities}
    terminals = seen.terminals()
    days = sorted(
        {dt.datetime.fromisoformat(s["start"]).date() for s in plan["seminars"]}
        | {dt.datetime.fromisoformat(leg["depart"]).date() for leg in plan["legs"]}
    )
    headings = {day: text.index(f"{day:%A %d %B %Y}") for day in days}

    def under_its_day(fragment: str, moment: str) -> None:
        day = dt.datetime.fromisoformat(moment).date()
        later = [at for other, at in headings.items() if other > day]
        at = text.index(fragment, headings[day])
        assert at < min(later, default=len(text)), f"{fragment!r} is not under {day}"

    for seminar in plan["seminars"]:
        span = f"{clock(seminar['start'])[:5]}-{clock(seminar['end'])}"
        under_its_day(f"{span} Seminar {cities[seminar['city']].name}", seminar["start"])
    for leg in plan["legs"]:
        under_its_day(f"{clock(leg['depart'])} {leg['mode'].capitalize()}", leg["depart"])
        assert leg["service"] in text
        assert f"Departs {clock(leg['depart'])} from" in text
        assert f"{clock(leg['arrive'])} at" in text
        for end in ("from", "to"):
            if leg["mode"] != "drive":
                terminal = terminals[leg[end]]
                assert f"{terminal.name} ({terminal.id})" in text
    for check in expected_check_ins(seen, plan):
        assert f"{check} Check-in for" in text
    for night in plan["nights"]:
        if night["city"] is not None:
            assert f"{dt.date.fromisoformat(night['date']):%A %d %B %Y}" in text
            assert f"in {cities[night['city']].name}" in text


def test_the_flagship_sheets_hold_every_day_of_the_plan() -> None:
    seen, plan = scenario(FLAGSHIP), golden_plan(FLAGSHIP)
    sheets = build_sheets(seen, plan)
    assert list(sheets) == [f"{FLAGSHIP}-v1.pdf"]
    pdf = render_pdf(sheets[f"{FLAGSHIP}-v1.pdf"])
    assert pdf.startswith(b"%PDF")
    assert_pages_drawn(pdf)
    pages = pages_text(pdf)
    assert len(pages) >= 2
    for number, page in enumerate(pages, 1):
        assert f"{FLAGSHIP} · version 1" in page  # the header
        assert f"Page {number} of {len(pages)}" in page  # the footer
    text = " ".join(pages)
    assert "as long before each departure as its terminal asks" in text
    assert_itinerary(seen, plan, text)
    assert render_pdf(sheets[f"{FLAGSHIP}-v1.pdf"]) == pdf  # the same sheet, the same bytes


def test_a_team_plan_has_sheets_for_the_plan_each_team_and_each_member() -> None:
    seen, plan = scenario(TWO_TEAMS), golden_plan(TWO_TEAMS)
    sheets = build_sheets(seen, plan)
    stem = f"{TWO_TEAMS}-v1"
    members = [m["id"] for team in plan["teams"] for m in team["members"]]
    expected = {f"{stem}.pdf"} | {f"{stem}-team-{t['id']}.pdf" for t in plan["teams"]}
    assert set(sheets) == expected | {f"{stem}-member-{m}.pdf" for m in members}
    whole = " ".join(pages_text(render_pdf(sheets[f"{stem}.pdf"])))
    starts = [whole.index(f"{team['name']}: ") for team in plan["teams"]]
    assert starts == sorted(starts)  # each team's part, in the plan's order
    for number, team in enumerate(plan["teams"]):
        part = whole[starts[number] : [*starts, len(whole)][number + 1]]
        assert_itinerary(seen, team["plan"], part)
        own = render_pdf(sheets[f"{stem}-team-{team['id']}.pdf"])
        assert_pages_drawn(own)
        text = " ".join(pages_text(own))
        assert f"{TWO_TEAMS}: {team['name']} · version 1" in text
        assert_itinerary(seen, team["plan"], text)
        for other in plan["teams"]:
            if other is not team:
                assert other["name"] not in text
        for member in team["members"]:
            mine = " ".join(pages_text(render_pdf(sheets[f"{stem}-member-{member['id']}.pdf"])))
            assert f"{member['name']} ({member['role']}), {team['name']}" in mine
            assert_itinerary(seen, team["plan"], mine)


def test_a_member_joining_en_route_has_her_own_legs_then_the_teams() -> None:
    seen, plan = scenario(JOINING), golden_plan(JOINING)
    team = next(t for t in plan["teams"] if t.get("joiner"))
    joiner = team["joiner"]
    sheets = build_sheets(seen, plan)
    text = " ".join(pages_text(render_pdf(sheets[f"{JOINING}-v1-member-{joiner['member']}.pdf"])))
    at = dt.datetime.fromisoformat(joiner["at"])
    assert_itinerary(seen, joiner["plan"], text)
    for leg in team["plan"]["legs"]:
        if dt.datetime.fromisoformat(leg["depart"]) >= at:
            assert f"{clock(leg['depart'])} {leg['mode'].capitalize()} {leg['service']}" in text
        else:  # the team's legs before she joins are not hers
            assert f"{clock(leg['depart'])} {leg['mode'].capitalize()} {leg['service']}" not in text


def with_contacts(tmp_path: Path, contacts: Any) -> Path:
    """The flagship scenario with ``contacts`` on its first city, written beside a copy."""
    data = yaml.safe_load((ROOT / "scenarios" / f"{FLAGSHIP}.yaml").read_text(encoding="utf-8"))
    data["cities"][0]["contacts"] = contacts
    path = tmp_path / f"{FLAGSHIP}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_contacts_and_the_venue_print_in_cyrillic(tmp_path: Path) -> None:
    contacts = {"venue": "Акимат, зал заседаний", "hotel": "Гостиница «Есиль», +7 7172 59 10 00"}
    seen = load_scenario(with_contacts(tmp_path, contacts))
    city = seen.cities[0]
    assert dict(city.contacts) == contacts
    plan = golden_plan(FLAGSHIP)
    assert any(s["city"] == city.id for s in plan["seminars"])
    pdf = render_pdf(build_sheets(seen, plan)[f"{FLAGSHIP}-v1.pdf"])
    text = " ".join(pages_text(pdf))
    assert f"Seminar {city.name}, Акимат, зал заседаний" in text
    assert "hotel: Гостиница «Есиль», +7 7172 59 10 00" in text
    assert f"Contacts {city.name}" in text


@pytest.mark.parametrize(
    ("contacts", "field"),
    [
        ({"hotel": ""}, "cities.0.contacts.hotel"),
        ({"hotel": "line one\nline two"}, "cities.0.contacts.hotel"),
        ({"hotel": 7}, "cities.0.contacts.hotel"),
        ({"x" * 41: "Hotel Esil"}, "cities.0.contacts"),
        (["hotel"], "cities.0.contacts"),
        ({f"label{i}": "x" for i in range(21)}, "cities.0.contacts"),
    ],
)
def test_bad_contacts_are_refused_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], contacts: Any, field: str
) -> None:
    path = with_contacts(tmp_path, contacts)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert field in err and "Traceback" not in err


def test_the_command_writes_the_sheets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan_path = tmp_path / "team.plan.json"
    plan_path.write_text(json.dumps(golden_plan(TWO_TEAMS)), encoding="utf-8")
    out = tmp_path / "sheets"
    scenario_path = ROOT / "scenarios" / f"{TWO_TEAMS}.yaml"
    args = ["sheets", str(plan_path), "--scenario", str(scenario_path), "--out", str(out)]
    assert main([*args, "--check-in", "flight=120", "--check-in", "train=45"]) == 0
    written = sorted(path.name for path in out.iterdir())
    assert written == sorted(build_sheets(scenario(TWO_TEAMS), golden_plan(TWO_TEAMS)))
    assert str(out / f"{TWO_TEAMS}-v1.pdf") in capsys.readouterr().out
    text = " ".join(pages_text((out / f"{TWO_TEAMS}-v1.pdf").read_bytes()))
    assert "for these sheets: 120 min before a flight, 45 min before a train" in text


def bad_plan(change: str) -> tuple[dict[str, Any], str]:
    """The flagship plan with one thing wrong, and the field a message must name."""
    plan = golden_plan(FLAGSHIP)
    if change == "terminal":
        index = next(i for i, leg in enumerate(plan["legs"]) if leg["mode"] != "drive")
        plan["legs"][index]["from"] = "NOPE"
        return plan, f"legs[{index}].from"
    if change == "city":
        plan["nights"][0]["city"] = "atlantis"
        return plan, "nights[0].city"
    if change == "missing":
        del plan["seminars"]
        return plan, "seminars"
    plan["legs"][0]["depart"] = "2016-01-18T14:10"  # no offset
    return plan, "legs[0].depart"


@pytest.mark.parametrize("change", ["terminal", "city", "missing", "time"])
def test_a_bad_plan_is_refused_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str
) -> None:
    plan, field = bad_plan(change)
    with pytest.raises(SheetError) as raised:
        build_sheets(scenario(FLAGSHIP), plan)
    assert raised.value.where == field
    path = tmp_path / "bad.plan.json"
    path.write_text(json.dumps(plan), encoding="utf-8")
    out = tmp_path / "sheets"
    assert main(["sheets", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert field in err and "Traceback" not in err
    assert not out.exists()  # nothing written


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--check-in", "plane=30"], "--check-in plane=30"),
        (["--check-in", "flight=-5"], "--check-in flight=-5"),
        (["--scenario", str(ROOT / "scenarios" / "three-cities.yaml")], "scenario"),
    ],
)
def test_bad_options_exit_2_naming_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], named: str
) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(golden_plan(FLAGSHIP)), encoding="utf-8")
    out = tmp_path / "sheets"
    assert main(["sheets", str(path), "--out", str(out), *extra]) == 2
    assert named in capsys.readouterr().err
    assert not out.exists()


def test_a_plan_file_that_is_not_json_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "plan.json"
    path.write_text("{not json", encoding="utf-8")
    assert main(["sheets", str(path), "--out", str(tmp_path / "sheets")]) == 2
    assert str(path) in capsys.readouterr().err


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = api_settings(tmp_path_factory.mktemp("api-sheets"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def planned(client: TestClient, name: str) -> tuple[str, dict[str, Any]]:
    """A bundled scenario planned over HTTP: the plan's id and its version 1."""
    response = client.post("/v1/plans", json={"scenario_name": name}, headers=ACME)
    assert response.status_code == 201, response.text
    body = response.json()
    return body["id"], body["plan"]


def test_the_sheets_over_http(client: TestClient) -> None:
    plan_id, plan = planned(client, "three-cities")
    url = f"/v1/plans/{plan_id}/sheets.pdf"
    response = client.get(url, headers=ACME)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="three-cities-v1.pdf"' in response.headers["content-disposition"]
    assert_pages_drawn(response.content)
    assert_itinerary(scenario("three-cities"), plan, " ".join(pages_text(response.content)))
    assert client.get(url, params={"version": 1}, headers=ACME).content == response.content
    assert client.get(url, params={"version": 2}, headers=ACME).status_code == 404
    assert client.get(url, params={"version": 0}, headers=ACME).status_code == 422
    assert client.get(url).status_code == 401
    assert client.get(url, headers=RIVAL).status_code == 404  # another organisation's plan
    refused = client.get(url, params={"team": "east"}, headers=ACME)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "team"]


def test_team_and_member_sheets_over_http(client: TestClient) -> None:
    plan_id, plan = planned(client, TWO_TEAMS)
    url = f"/v1/plans/{plan_id}/sheets.pdf"
    east, west = plan["teams"]
    whole = " ".join(pages_text(client.get(url, headers=ACME).content))
    assert east["name"] in whole and west["name"] in whole
    response = client.get(url, params={"team": east["id"]}, headers=ACME)
    assert response.status_code == 200
    text = " ".join(pages_text(response.content))
    assert east["name"] in text and west["name"] not in text
    assert_itinerary(scenario(TWO_TEAMS), east["plan"], text)
    member = west["members"][0]
    response = client.get(url, params={"member": member["id"]}, headers=ACME)
    assert response.status_code == 200
    text = " ".join(pages_text(response.content))
    assert f"{member['name']} ({member['role']}), {west['name']}" in text
    assert_itinerary(scenario(TWO_TEAMS), west["plan"], text)
    for params, field in (({"team": "north"}, "team"), ({"member": "nobody"}, "member")):
        refused = client.get(url, params=params, headers=ACME)
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", field]
    both = client.get(url, params={"team": east["id"], "member": member["id"]}, headers=ACME)
    assert both.status_code == 422


def test_a_replanned_version_says_so_and_holds_its_itinerary() -> None:
    seen = scenario(FLAGSHIP)
    plan = json.loads((GOLDEN / "replan.v2.json").read_text(encoding="utf-8").replace('"<time>"', "1.0"))
    sheets = build_sheets(seen, plan)
    assert list(sheets) == [f"{FLAGSHIP}-v{plan['version']}.pdf"]
    pages = pages_text(render_pdf(sheets[f"{FLAGSHIP}-v{plan['version']}.pdf"]))
    assert all(f"{FLAGSHIP} · version {plan['version']}" in page for page in pages)
    text = " ".join(pages)
    assert f"replanned at {plan['now']}" in text
    assert_itinerary(seen, plan, text)
