"""Seeded synthetic scenarios: a country of N cities with hubs, flights, trains and roads.

Used by the cross-check tests (tiny instances) and by the benchmarks (8 to 40
cities). Same arguments, same scenario, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from planner.domain import Scenario
from planner.network import great_circle_km

_ZONES = ("Asia/Almaty", "Asia/Aqtobe")


def _clock(minutes: int) -> str:
    day, minute = divmod(minutes, 24 * 60)
    text = f"{minute // 60:02d}:{minute % 60:02d}"
    return f"{text}+{day}" if day else text


def synthetic_scenario(
    cities: int,
    days: int,
    seed: int,
    *,
    start_date: dt.date = dt.date(2016, 1, 18),
    flights_per_day: int = 2,
    required: int = 0,
    closures: int = 0,
    slots: tuple[str, ...] = ("09:30", "14:30"),
) -> Scenario:
    """A random but realistic scenario; hubs are cities 0 and 1, the trip starts at 0."""
    rng = random.Random(seed)
    names = [f"C{i:02d}" for i in range(cities)]
    places = []
    for index in range(cities):
        lat = rng.uniform(42.5, 54.0)
        lon = rng.uniform(51.0, 83.0)
        # The west is on UTC+5, the rest on UTC+6, as in 2016 Kazakhstan.
        zone = _ZONES[1] if lon < 60 else _ZONES[0]
        places.append((names[index], lat, lon, zone))
    hubs = names[:2] if cities > 3 else names[:1]

    regions = [{"id": f"r{i:02d}", "weight": rng.choice([100, 100, 100, 150, 200])} for i in range(cities)]
    city_data: list[dict[str, Any]] = []
    airports: dict[str, str] = {}
    stations: dict[str, str] = {}
    for index, (name, lat, lon, zone) in enumerate(places):
        terminals = []
        if name in hubs or rng.random() < 0.75:
            airports[name] = f"{name}-AIR"
            terminals.append(
                {
                    "id": airports[name],
                    "kind": "airport",
                    "access_min": rng.choice([20, 30, 40]),
                    "check_in_min": 60,
                }
            )
        if rng.random() < 0.6:
            stations[name] = f"{name}-RW"
            terminals.append({"id": stations[name], "kind": "station", "access_min": 15, "check_in_min": 20})
        city_data.append(
            {
                "id": name,
                "name": f"City {index}",
                "region": f"r{index:02d}",
                "lat": round(lat, 3),
                "lon": round(lon, 3),
                "timezone": zone,
                "terminals": terminals,
            }
        )

    def km(a: str, b: str) -> float:
        pa = next(p for p in places if p[0] == a)
        pb = next(p for p in places if p[0] == b)
        return great_circle_km(pa[1], pa[2], pb[1], pb[2])

    def offset(a: str) -> int:
        return 5 if next(p for p in places if p[0] == a)[3] == _ZONES[1] else 6

    services: list[dict[str, Any]] = []

    def flight(a: str, b: str, depart: int, days_of_week: list[str] | str) -> None:
        block = 25 + round(km(a, b) / 800 * 60)
        # Local arrival = departure + block time + zone difference.
        arrive = depart + block + (offset(b) - offset(a)) * 60
        services.append(
            {
                "id": f"F{len(services):03d}",
                "mode": "flight",
                "stops": [
                    {"terminal": airports[a], "depart": _clock(depart)},
                    {"terminal": airports[b], "arrive": _clock(arrive)},
                ],
                "days": days_of_week,
                "fare": round(15000 + km(a, b) * 20, -2),
            }
        )

    for city in names:
        if city not in airports:
            continue
        for hub in hubs:
            if hub == city:
                continue
            count = flights_per_day + (2 if city in hubs else 0)
            for _ in range(count):
                flight(hub, city, rng.randrange(6 * 60, 21 * 60, 5), "daily")
                flight(city, hub, rng.randrange(6 * 60, 21 * 60, 5), "daily")
    spokes = [c for c in names if c in airports and c not in hubs]
    for _ in range(len(spokes) // 2):
        a, b = rng.sample(spokes, 2) if len(spokes) >= 2 else (None, None)
        if a is None or b is None:
            break
        weekly = sorted(rng.sample(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], 3))
        flight(a, b, rng.randrange(7 * 60, 19 * 60, 5), weekly)
        flight(b, a, rng.randrange(7 * 60, 19 * 60, 5), weekly)

    # Trains: lines through nearby stations, once a day each way, 65 km/h.
    with_station = [c for c in names if c in stations]
    for line in range(max(1, len(with_station) // 4)):
        if len(with_station) < 2:
            break
        first = rng.choice(with_station)
        line_cities = [first]
        while len(line_cities) < min(4, len(with_station)):
            rest = [c for c in with_station if c not in line_cities]
            line_cities.append(min(rest, key=lambda c: km(line_cities[-1], c)))
        for direction in (line_cities, list(reversed(line_cities))):
            time = rng.randrange(6 * 60, 22 * 60, 5)
            stops = []
            for index, city in enumerate(direction):
                if index:
                    time += round(km(direction[index - 1], city) * 1.2 / 65 * 60)
                    time += (offset(city) - offset(direction[index - 1])) * 60
                stop: dict[str, str] = {"terminal": stations[city]}
                if index:
                    stop["arrive"] = _clock(time)
                if index < len(direction) - 1:
                    time += 0 if index == 0 else 10
                    stop["depart"] = _clock(time)
                stops.append(stop)
            services.append(
                {
                    "id": f"T{line:02d}{'a' if direction is line_cities else 'b'}",
                    "mode": "train",
                    "stops": stops,
                    "fare": round(5000 + km(direction[0], direction[-1]) * 6, -2),
                }
            )

    # Roads to the two nearest neighbours.
    roads: list[dict[str, Any]] = []
    seen: set[frozenset[str]] = set()
    for city in names:
        for other in sorted((c for c in names if c != city), key=lambda c: km(city, c))[:2]:
            pair = frozenset((city, other))
            if pair in seen:
                continue
            seen.add(pair)
            distance = round(km(city, other) * 1.2)
            roads.append(
                {
                    "id": f"R-{city}-{other}",
                    "a": city,
                    "b": other,
                    "distance_km": distance,
                    "speed_kmh": rng.choice([55, 60, 70]),
                    "cost_per_km": 40,
                }
            )

    seminars = []
    required_cities = set(rng.sample(names[1:], min(required, cities - 1)))
    for index, city in enumerate(names):
        seminar: dict[str, Any] = {"city": city, "duration_min": 180, "start_times": list(slots)}
        if city in required_cities:
            seminar["required"] = True
        if index and rng.random() < 0.25:
            seminar["serves"] = [f"r{rng.randrange(cities):02d}"]
            seminar["serves"] = [r for r in seminar["serves"] if r != f"r{index:02d}"]
        if rng.random() < 0.2:
            seminar["weight"] = rng.choice([20, 50])
        seminars.append(seminar)

    closure_data = []
    for index in range(closures):
        if not roads:
            break
        road = rng.choice(roads)
        begin = dt.datetime.combine(start_date, dt.time(0)) + dt.timedelta(hours=rng.randrange(0, days * 24))
        closure_data.append(
            {
                "id": f"X{index}",
                "road": road["id"],
                "start": begin.isoformat(timespec="minutes"),
                "end": (begin + dt.timedelta(hours=rng.choice([8, 16, 24]))).isoformat(timespec="minutes"),
            }
        )

    end = start_date + dt.timedelta(days=days - 1)
    data = {
        "name": f"synthetic-{cities}x{days}-s{seed}",
        "calendar": {"start_date": start_date.isoformat(), "horizon_days": days},
        "regions": regions,
        "cities": city_data,
        "seminars": seminars,
        "delegation": {
            "start_city": names[0],
            "end_city": names[0],
            "earliest_departure": f"{start_date.isoformat()}T08:00",
            "latest_return": f"{end.isoformat()}T23:00",
        },
        "services": services,
        "roads": roads,
        "closures": closure_data,
        "solver": {"time_limit_s": 60, "workers": 1, "seed": 0},
    }
    return Scenario.model_validate(data)


def tiny_scenario(seed: int) -> Scenario:
    """A random instance small enough for brute force: 3 to 6 cities, 2 to 5 days."""
    rng = random.Random(seed)
    cities = rng.randint(3, 6)
    days = rng.randint(2, 5)
    return synthetic_scenario(
        cities,
        days,
        seed,
        flights_per_day=1,
        required=rng.choice([0, 0, 1]),
        closures=rng.choice([0, 1]),
        slots=tuple(rng.sample(["09:00", "11:30", "14:30", "16:00"], rng.randint(1, 2))),
        start_date=dt.date(2016, 1, 18) + dt.timedelta(days=rng.randint(0, 6)),
    )


__all__ = ["synthetic_scenario", "tiny_scenario"]
