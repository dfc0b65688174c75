"""Random tiny scenarios covering the whole scenario format, for the referee tests.

``random_scenario(seed)`` is deterministic per seed: 3-6 cities, a horizon of 3-7
days, mixed time zones (2016 Kazakhstan +6/+5, half-hour and 45-minute offsets,
zones with a clock change inside the trip), terminals, multi-stop and overnight
services, roads with own and wrapping driving windows, closures, every kind of
disruption, seminars with start times or (wrapping) windows, calendars and rules.
Instances stay small so the brute-force referee answers quickly.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from planner.domain import WEEKDAYS, Scenario

# (zones, first possible start date, last possible start date, base lat, base lon)
FAMILIES: list[tuple[list[str], dt.date, dt.date, float, float]] = [
    (["Asia/Almaty", "Asia/Aqtobe"], dt.date(2016, 1, 11), dt.date(2016, 1, 20), 49.0, 65.0),
    (
        ["Asia/Kolkata", "Asia/Kathmandu", "Asia/Almaty"],
        dt.date(2016, 1, 11),
        dt.date(2016, 2, 20),
        27.0,
        82.0,
    ),
    (["Australia/Adelaide", "Australia/Darwin"], dt.date(2016, 3, 30), dt.date(2016, 4, 3), -30.0, 135.0),
    (["Australia/Adelaide", "Australia/Brisbane"], dt.date(2016, 9, 28), dt.date(2016, 10, 2), -30.0, 140.0),
    (["Europe/Berlin", "Europe/London"], dt.date(2016, 3, 23), dt.date(2016, 3, 27), 51.0, 8.0),
    (["Europe/Berlin", "Europe/Kiev"], dt.date(2016, 10, 26), dt.date(2016, 10, 30), 50.0, 18.0),
    (["America/St_Johns", "America/Halifax"], dt.date(2016, 3, 9), dt.date(2016, 3, 13), 47.0, -58.0),
    (["America/St_Johns", "America/Halifax"], dt.date(2016, 11, 2), dt.date(2016, 11, 6), 47.0, -58.0),
]
ODD_ZONES = ["Asia/Kathmandu", "Asia/Kolkata", "Australia/Adelaide", "Asia/Aqtobe", "America/St_Johns"]
KINDS = ["airport", "station", "bus_station"]
MODES = ["flight", "train", "bus"]


def _clock(minute: int) -> str:
    minute %= 24 * 60
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _instant(day: dt.date, minute: int, zone: ZoneInfo) -> dt.datetime:
    local = dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone, fold=0)
    return local.astimezone(dt.UTC)


class _Unwritable(Exception):
    """A generated stop time the scenario format cannot express."""


class _Gen:
    def __init__(self, seed: int, coordinator_rules: bool = True) -> None:
        self.r = random.Random(seed)
        self.seed = seed
        self.coordinator_rules = coordinator_rules

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def pick(self, items: list[Any]) -> Any:
        return items[self.r.randrange(len(items))]

    def build(self) -> dict[str, Any]:
        r = self.r
        zones, first, last, lat0, lon0 = self.pick(FAMILIES)
        start = first + dt.timedelta(days=r.randint(0, (last - first).days))
        horizon = r.randint(3, 7) if self.chance(0.5) else r.randint(3, 5)
        self.start, self.horizon = start, horizon
        self.end = start + dt.timedelta(days=horizon - 1)
        n = r.randint(3, 6)
        mixed = self.chance(0.6)
        city_zones = [self.pick(zones) if mixed else zones[0] for _ in range(n)]
        if self.chance(0.2):
            city_zones[r.randrange(n)] = self.pick(ODD_ZONES)
        regions = [{"id": f"r{i}", "weight": self.pick([0, 50, 100, 100, 100, 200])} for i in range(n)]
        if self.chance(0.4):
            regions.append({"id": "rx", "weight": self.pick([0, 30, 100])})
        cities = []
        self.zone_of: dict[str, ZoneInfo] = {}
        self.city_of_terminal: dict[str, str] = {}
        terminals_of: dict[str, list[str]] = {}
        for i in range(n):
            cid = f"c{i}"
            terms = []
            for k in range(self.pick([0, 1, 1, 1, 2, 2])):
                tid = f"{cid}-t{k}"
                term: dict[str, Any] = {
                    "id": tid,
                    "kind": self.pick(KINDS),
                    "access_min": self.pick([0, 10, 15, 30, 45, 60]),
                    "check_in_min": self.pick([0, 10, 20, 30, 60, 90]),
                }
                if self.chance(0.4):
                    term["transfer_min"] = self.pick([0, 20, 45, 90, 150, 200])
                terms.append(term)
                self.city_of_terminal[tid] = cid
            terminals_of[cid] = [t["id"] for t in terms]
            self.zone_of[cid] = ZoneInfo(city_zones[i])
            cities.append(
                {
                    "id": cid,
                    "name": f"City {i}",
                    "region": f"r{i}",
                    "lat": round(lat0 + r.uniform(-4, 4), 3),
                    "lon": round(lon0 + r.uniform(-6, 6), 3),
                    "timezone": city_zones[i],
                    "terminals": terms,
                }
            )
        city_ids = [c["id"] for c in cities]
        self.cities = cities
        all_terms = [t for c in city_ids for t in terminals_of[c]]

        data: dict[str, Any] = {
            "name": f"random-{self.seed}",
            "calendar": self.calendar(),
            "regions": regions,
            "cities": cities,
            "seminars": self.seminars(city_ids, [x["id"] for x in regions]),
            "delegation": self.delegation(city_ids),
            "services": self.services(all_terms),
            "roads": self.roads(city_ids, [x["id"] for x in regions]),
        }
        data["closures"] = self.closures(all_terms, data["roads"])
        data["disruptions"] = self.disruptions(all_terms, data["roads"], data["services"], city_ids, regions)
        data["objective"] = {
            "travel_per_hour": self.pick([0, 10, 30, 60, 60, 120]),
            "night_per_hour": self.pick([0, 0, 15, 30, 60]),
            "cost_per_unit": self.pick([0.0, 0.001, 0.001, 0.01, 0.05]),
        }
        if self.coordinator_rules:
            _coordinator_rules(random.Random(f"coordinator-{self.seed}"), data, self.start, self.horizon)
        return data

    def calendar(self) -> dict[str, Any]:
        r = self.r
        cal: dict[str, Any] = {"start_date": self.start.isoformat(), "horizon_days": self.horizon}
        days = [self.start + dt.timedelta(days=k) for k in range(self.horizon)]
        if self.chance(0.2):
            cal["working_weekdays"] = sorted(r.sample(list(WEEKDAYS), r.randint(3, 6)), key=WEEKDAYS.index)
        if self.chance(0.3):
            cal["holidays"] = [self.pick(days).isoformat()]
        weekend = [d for d in days if d.weekday() >= 5]
        if weekend and self.chance(0.3):
            cal["extra_working_dates"] = [self.pick(weekend).isoformat()]
        return cal

    def seminars(self, city_ids: list[str], region_ids: list[str]) -> list[dict[str, Any]]:
        r = self.r
        out = []
        days = [self.start + dt.timedelta(days=k) for k in range(self.horizon)]
        for cid in city_ids:
            if not self.chance(0.85):
                continue
            sem: dict[str, Any] = {"city": cid, "duration_min": self.pick([60, 90, 120, 180, 180, 240])}
            if self.chance(0.6):
                times = sorted(
                    {self.pick(list(range(7 * 60, 18 * 60 + 1, 30))) for _ in range(r.randint(1, 3))}
                )
                sem["start_times"] = [_clock(t) for t in times]
            elif self.chance(0.8):
                ws = self.pick([8 * 60, 9 * 60, 10 * 60])
                sem["window"] = {"start": _clock(ws), "end": _clock(ws + self.pick([5, 6, 8, 9]) * 60)}
                sem["step_min"] = self.pick([60, 90, 120])
            else:  # a window wrapping past midnight
                ws = self.pick([19 * 60, 20 * 60, 21 * 60])
                sem["window"] = {"start": _clock(ws), "end": _clock(ws + self.pick([5, 6, 7]) * 60)}
                sem["step_min"] = self.pick([60, 120])
            if self.chance(0.25):
                sem["any_day"] = True
            if self.chance(0.25):
                sem["earliest_date"] = self.pick(days[: len(days) // 2 + 1]).isoformat()
            if self.chance(0.25):
                sem["latest_date"] = self.pick(days[len(days) // 2 :]).isoformat()
            if self.chance(0.3):
                sem["weight"] = self.pick([10, 50, 150])
            if self.chance(0.25):
                others = [x for x in region_ids if x != f"r{cid[1:]}"]
                sem["serves"] = r.sample(others, min(len(others), r.randint(1, 2)))
            out.append(sem)
        # Usually no required seminar, sometimes one, rarely two (possibly impossible ones).
        for sem in r.sample(out, min(len(out), self.pick([0, 0, 0, 1, 1, 2]))):
            sem["required"] = True
        return out

    def delegation(self, city_ids: list[str]) -> dict[str, Any]:
        r = self.r
        start_city = self.pick(city_ids)
        end_city = start_city if self.chance(0.6) else self.pick(city_ids)
        self.start_city = start_city
        last = self.end + dt.timedelta(days=1) if self.chance(0.2) else self.end
        rules: dict[str, Any] = {
            "quiet_hours": self.pick(
                [
                    None,
                    {"start": "00:00", "end": "05:00"},
                    {"start": "23:00", "end": "05:00"},
                    {"start": "01:00", "end": "04:30"},
                ]
            ),
            "min_prep_min": self.pick([0, 30, 60, 60, 90, 120]),
            "max_travel_min_per_day": self.pick([240, 300, 360, 480, 600, 720, 840, 1440]),
            "night": self.pick(
                [
                    {"start": "22:00", "end": "06:00"},
                    {"start": "21:00", "end": "05:00"},
                    {"start": "23:30", "end": "06:30"},
                    {"start": "00:00", "end": "06:00"},
                ]
            ),
            "driving_window": self.pick(
                [
                    {"start": "08:00", "end": "20:00"},
                    {"start": "06:00", "end": "22:00"},
                    {"start": "07:00", "end": "19:00"},
                ]
            ),
        }
        leave = _clock(self.pick([0, 6 * 60, 7 * 60, 8 * 60, 9 * 60 + 30]))
        back = _clock(self.pick([18 * 60, 20 * 60, 22 * 60, 23 * 60 + 59]))
        return {
            "size": r.randint(1, 6),
            "vehicles": self.pick([1, 1, 2]),
            "start_city": start_city,
            "earliest_departure": f"{self.start.isoformat()}T{leave}",
            "end_city": end_city,
            "latest_return": f"{last.isoformat()}T{back}",
            "rules": rules,
        }

    def services(self, all_terms: list[str]) -> list[dict[str, Any]]:
        r = self.r
        out: list[dict[str, Any]] = []
        if len({self.city_of_terminal[t] for t in all_terms}) < 2:
            return out
        for k in range(r.randint(1, 5)):
            for _attempt in range(20):
                service = self.service(f"S{k}", all_terms)
                if service is not None:
                    out.append(service)
                    break
        return out

    def service(self, sid: str, all_terms: list[str]) -> dict[str, Any] | None:
        r = self.r
        count = self.pick([2, 2, 3, 3, 4])
        terms: list[str] = []
        for t in r.sample(all_terms, len(all_terms)):
            if all(self.city_of_terminal[t] != self.city_of_terminal[u] for u in terms):
                terms.append(t)
            if len(terms) == count:
                break
        if len(terms) < 2:
            return None
        long_run = self.chance(0.25)
        ref = self.start
        depart = self.pick(list(range(5 * 60, 23 * 60 + 1, 5)))
        zone0 = self.zone_of[self.city_of_terminal[terms[0]]]
        moment = _instant(ref, depart, zone0)
        stops: list[dict[str, Any]] = [{"terminal": terms[0], "depart": _clock(depart)}]

        def local(moment: dt.datetime, tid: str) -> str:
            here = moment.astimezone(self.zone_of[self.city_of_terminal[tid]])
            offset = (here.date() - ref).days
            if not 0 <= offset <= 9:
                # A stop in a zone far behind the first one can fall on the day before the
                # run's date, which the format cannot write (offsets are 0-9): no such service.
                raise _Unwritable
            text = f"{here.hour:02d}:{here.minute:02d}"
            return f"{text}+{offset}" if offset else text

        try:
            stops += self._later_stops(terms, moment, long_run, local)
        except _Unwritable:
            return None
        return self._finish_service(sid, stops)

    def _later_stops(
        self, terms: list[str], moment: dt.datetime, long_run: bool, local: Any
    ) -> list[dict[str, Any]]:
        r = self.r
        stops: list[dict[str, Any]] = []
        for i, tid in enumerate(terms[1:], start=1):
            hop = r.randint(900, 1500) if long_run else r.randint(45, 600)
            moment = moment + dt.timedelta(minutes=hop)
            stop: dict[str, Any] = {"terminal": tid, "arrive": local(moment, tid)}
            if i < len(terms) - 1:
                shape = self.pick(["both", "both", "both", "arrive", "depart"])
                dwell = self.pick([5, 10, 20, 40])
                if shape == "depart":
                    stop = {"terminal": tid, "depart": local(moment, tid)}
                elif shape == "both":
                    moment = moment + dt.timedelta(minutes=dwell)
                    stop["depart"] = local(moment, tid)
            stops.append(stop)
        return stops

    def _finish_service(self, sid: str, stops: list[dict[str, Any]]) -> dict[str, Any] | None:
        r = self.r
        service: dict[str, Any] = {
            "id": sid,
            "mode": self.pick(MODES),
            "stops": stops,
            "fare": self.pick([0, 1000, 5000, 12345.5]),
        }
        if self.chance(0.4):
            service["days"] = sorted(r.sample(list(WEEKDAYS), r.randint(2, 6)), key=WEEKDAYS.index)
        elif self.chance(0.3):
            service["days"] = "daily"
        if self.chance(0.2):
            service["valid_from"] = (self.start + dt.timedelta(days=r.randint(0, 2))).isoformat()
        if self.chance(0.2):
            service["valid_to"] = (self.start + dt.timedelta(days=r.randint(1, self.horizon))).isoformat()
        if service.get("valid_from", "") > service.get("valid_to", "9999"):  # validate refuses them reversed
            service["valid_from"], service["valid_to"] = service["valid_to"], service["valid_from"]
        if self.chance(0.3):
            service["distance_km"] = float(r.randint(100, 2000))
        return service if self._forward_every_run(service) else None

    def _forward_every_run(self, service: dict[str, Any]) -> bool:
        """Stop times strictly increase in real time on every run date near the trip."""
        for k in range(-4, self.horizon + 5):
            run = self.start + dt.timedelta(days=k)
            previous: dt.datetime | None = None
            for stop in service["stops"]:
                zone = self.zone_of[self.city_of_terminal[stop["terminal"]]]
                for key in ("arrive", "depart"):
                    if key not in stop:
                        continue
                    text, _, offset = stop[key].partition("+")
                    hh, mm = text.split(":")
                    moment = _instant(run + dt.timedelta(days=int(offset or 0)), int(hh) * 60 + int(mm), zone)
                    if previous is not None and moment <= previous:
                        return False
                    previous = moment
        return True

    def roads(self, city_ids: list[str], region_ids: list[str]) -> list[dict[str, Any]]:
        r = self.r
        pairs = [(a, b) for i, a in enumerate(city_ids) for b in city_ids[i + 1 :]]
        chosen = r.sample(pairs, min(len(pairs), r.randint(2, min(5, len(pairs)))))
        if self.chance(0.6):  # a random spanning tree, so most cities are reachable
            order = r.sample(city_ids, len(city_ids))
            tree = [(order[i], self.pick(order[:i])) for i in range(1, len(order))]
            chosen = tree + [p for p in chosen[:2] if p not in tree and p[::-1] not in tree]
        out = []
        for k, (a, b) in enumerate(chosen):
            if self.chance(0.5):
                a, b = b, a
            road: dict[str, Any] = {"id": f"R{k}", "a": a, "b": b, "distance_km": float(r.randint(40, 700))}
            if self.chance(0.5):
                road["duration_min"] = r.randint(30, 540)
            else:
                road["speed_kmh"] = self.pick([45.0, 60.0, 70.0, 80.0, 90.0, 110.0, 73.5])
            if self.chance(0.2):
                road["both_ways"] = False
            if self.chance(0.3):
                road["driving_window"] = self.pick(
                    [
                        {"start": "20:00", "end": "04:00"},
                        {"start": "22:00", "end": "06:00"},
                        {"start": "05:00", "end": "23:00"},
                        {"start": "09:00", "end": "17:00"},
                    ]
                )
            if self.chance(0.6):
                road["cost_per_km"] = self.pick([5.0, 20.0, 40.0, 12.5])
            if self.chance(0.5):
                road["regions"] = r.sample(region_ids, min(len(region_ids), r.randint(1, 2)))
            out.append(road)
        return out

    def _span(self) -> tuple[str, str]:
        r = self.r
        day = self.start + dt.timedelta(days=r.randint(0, self.horizon - 1))
        begin = r.randrange(0, 24 * 60, 30)
        length = self.pick([60, 120, 240, 480, 720, 1440, 2000])
        s = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=begin)
        e = s + dt.timedelta(minutes=length)
        return s.strftime("%Y-%m-%dT%H:%M"), e.strftime("%Y-%m-%dT%H:%M")

    def closures(self, all_terms: list[str], roads: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for k in range(self.pick([0, 0, 1, 2])):
            s, e = self._span()
            closure: dict[str, Any] = {"id": f"X{k}", "start": s, "end": e}
            if all_terms and (not roads or self.chance(0.5)):
                closure["terminal"] = self.pick(all_terms)
            elif roads:
                closure["road"] = self.pick(roads)["id"]
            else:
                continue
            out.append(closure)
        return out

    def disruptions(
        self,
        all_terms: list[str],
        roads: list[dict[str, Any]],
        services: list[dict[str, Any]],
        city_ids: list[str],
        regions: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        out = []
        for k in range(self.pick([0, 0, 1, 2, 3])):
            s, e = self._span()
            kind = self.pick(
                [
                    "terminal_closed",
                    "road_closed",
                    "road_slowed",
                    "service_cancelled",
                    "service_delayed",
                    "city_unavailable",
                ]
            )
            event: dict[str, Any] = {"id": f"E{k}", "kind": kind, "announced_at": s, "start": s, "end": e}
            if kind == "terminal_closed" and all_terms:
                event["terminal"] = self.pick(all_terms)
            elif kind in ("road_closed", "road_slowed") and roads:
                if self.chance(0.4):
                    event["region"] = self.pick(regions)["id"]
                else:
                    event["road"] = self.pick(roads)["id"]
                if kind == "road_slowed":
                    event["factor"] = self.pick([1.5, 2.0, 1.3, 1.25])
            elif kind in ("service_cancelled", "service_delayed") and services:
                event["service"] = self.pick(services)["id"]
                if kind == "service_delayed":
                    event["delay_min"] = self.pick([15, 45, 90, 240])
            elif kind == "city_unavailable":
                event["city"] = self.pick(city_ids)
            else:
                continue
            out.append(event)
        return out


def _coordinator_rules(r: random.Random, data: dict[str, Any], start: dt.date, horizon: int) -> None:
    """The coordinators' rules, drawn from a generator of their own so that the rest of a seed's
    scenario stays as it was: buffers, rest days, avoided services and roads, a pinned seminar."""
    rules = data["delegation"]["rules"]
    days = [start + dt.timedelta(days=k) for k in range(horizon)]
    if r.random() < 0.25:
        rules["daylight_driving"] = True
    if r.random() < 0.35:
        rules["after_seminar_min"] = r.choice([15, 30, 60, 120])
    if r.random() < 0.35:
        rules["departure_buffer_min"] = r.choice([10, 30, 60])
    if r.random() < 0.25:
        rules["rest_days"] = [r.choice(days).isoformat()]
    if data["services"] and r.random() < 0.25:
        rules["avoid_services"] = [r.choice(data["services"])["id"]]
    if data["roads"] and r.random() < 0.25:
        rules["avoid_roads"] = [r.choice(data["roads"])["id"]]
    if data["seminars"] and r.random() < 0.3:
        seminar = r.choice(data["seminars"])
        pin: dict[str, Any] = {"date": r.choice(days).isoformat()}
        seminar.pop("earliest_date", None)
        seminar.pop("latest_date", None)
        seminar.pop("required", None)
        if seminar.get("start_times") and r.random() < 0.5:
            pin["start"] = r.choice(seminar["start_times"])
            seminar.pop("start_times")
        seminar["pinned"] = pin


def random_scenario(seed: int, coordinator_rules: bool = True) -> Scenario:
    """A validated random tiny scenario, the same for the same seed; without ``coordinator_rules``,
    the scenario the seed gave before those rules existed (tests built on a seed's story)."""
    return Scenario.model_validate(_Gen(seed, coordinator_rules).build())


def describe(scenario: Scenario) -> str:
    """A short YAML dump (defaults left out) for failure messages."""
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120)
