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
    # One random stream feeds every part in a fixed order: the same arguments give the
    # same scenario.
    rng = random.Random(seed)
    country = _Country(rng, cities)
    regions = [{"id": f"r{i:02d}", "weight": rng.choice([100, 100, 100, 150, 200])} for i in range(cities)]
    city_data = country.city_data()
    services = country.flights(flights_per_day)
    services += country.trains()
    roads = country.roads()
    seminars = _seminars(rng, country.names, required, slots)
    end = start_date + dt.timedelta(days=days - 1)
    names = country.names
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
        "closures": _closures(rng, roads, closures, start_date, days),
        "solver": {"time_limit_s": 60, "workers": 1, "seed": 0},
    }
    return Scenario.model_validate(data)


class _Country:
    """The cities of a synthetic scenario, placed at random, and the transport drawn between them."""

    def __init__(self, rng: random.Random, cities: int) -> None:
        self.rng = rng
        self.names = [f"C{i:02d}" for i in range(cities)]
        self.places: list[tuple[str, float, float, str]] = []
        for index in range(cities):
            lat = rng.uniform(42.5, 54.0)
            lon = rng.uniform(51.0, 83.0)
            # The west is on UTC+5, the rest on UTC+6, as in 2016 Kazakhstan.
            zone = _ZONES[1] if lon < 60 else _ZONES[0]
            self.places.append((self.names[index], lat, lon, zone))
        self.hubs = self.names[:2] if cities > 3 else self.names[:1]
        self.airports: dict[str, str] = {}
        self.stations: dict[str, str] = {}
        self.services: list[dict[str, Any]] = []

    def km(self, a: str, b: str) -> float:
        pa = next(p for p in self.places if p[0] == a)
        pb = next(p for p in self.places if p[0] == b)
        return great_circle_km(pa[1], pa[2], pb[1], pb[2])

    def offset(self, a: str) -> int:
        return 5 if next(p for p in self.places if p[0] == a)[3] == _ZONES[1] else 6

    def city_data(self) -> list[dict[str, Any]]:
        """The cities with their terminals: every hub and most cities fly, many have a station."""
        rng = self.rng
        city_data: list[dict[str, Any]] = []
        for index, (name, lat, lon, zone) in enumerate(self.places):
            terminals = []
            if name in self.hubs or rng.random() < 0.75:
                self.airports[name] = f"{name}-AIR"
                terminals.append(
                    {
                        "id": self.airports[name],
                        "kind": "airport",
                        "access_min": rng.choice([20, 30, 40]),
                        "check_in_min": 60,
                    }
                )
            if rng.random() < 0.6:
                self.stations[name] = f"{name}-RW"
                terminals.append(
                    {"id": self.stations[name], "kind": "station", "access_min": 15, "check_in_min": 20}
                )
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
        return city_data

    def _flight(self, a: str, b: str, depart: int, days_of_week: list[str] | str) -> None:
        block = 25 + round(self.km(a, b) / 800 * 60)
        # Local arrival = departure + block time + zone difference.
        arrive = depart + block + (self.offset(b) - self.offset(a)) * 60
        self.services.append(
            {
                "id": f"F{len(self.services):03d}",
                "mode": "flight",
                "stops": [
                    {"terminal": self.airports[a], "depart": _clock(depart)},
                    {"terminal": self.airports[b], "arrive": _clock(arrive)},
                ],
                "days": days_of_week,
                "fare": round(15000 + self.km(a, b) * 20, -2),
            }
        )

    def flights(self, flights_per_day: int) -> list[dict[str, Any]]:
        """Daily flights between every airport and the hubs, and a few weekly ones between spokes."""
        rng, hubs = self.rng, self.hubs
        for city in self.names:
            if city not in self.airports:
                continue
            for hub in hubs:
                if hub == city:
                    continue
                count = flights_per_day + (2 if city in hubs else 0)
                for _ in range(count):
                    self._flight(hub, city, rng.randrange(6 * 60, 21 * 60, 5), "daily")
                    self._flight(city, hub, rng.randrange(6 * 60, 21 * 60, 5), "daily")
        spokes = [c for c in self.names if c in self.airports and c not in hubs]
        for _ in range(len(spokes) // 2):
            a, b = rng.sample(spokes, 2) if len(spokes) >= 2 else (None, None)
            if a is None or b is None:
                break
            weekly = sorted(rng.sample(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], 3))
            self._flight(a, b, rng.randrange(7 * 60, 19 * 60, 5), weekly)
            self._flight(b, a, rng.randrange(7 * 60, 19 * 60, 5), weekly)
        return self.services

    def trains(self) -> list[dict[str, Any]]:
        """Lines through nearby stations, once a day each way, 65 km/h."""
        rng = self.rng
        trains: list[dict[str, Any]] = []
        with_station = [c for c in self.names if c in self.stations]
        for line in range(max(1, len(with_station) // 4)):
            if len(with_station) < 2:
                break
            first = rng.choice(with_station)
            line_cities = [first]
            while len(line_cities) < min(4, len(with_station)):
                rest = [c for c in with_station if c not in line_cities]
                line_cities.append(min(rest, key=lambda c: self.km(line_cities[-1], c)))
            for direction in (line_cities, list(reversed(line_cities))):
                trains.append(
                    {
                        "id": f"T{line:02d}{'a' if direction is line_cities else 'b'}",
                        "mode": "train",
                        "stops": self._train_stops(direction, rng.randrange(6 * 60, 22 * 60, 5)),
                        "fare": round(5000 + self.km(direction[0], direction[-1]) * 6, -2),
                    }
                )
        return trains

    def _train_stops(self, direction: list[str], time: int) -> list[dict[str, str]]:
        stops = []
        for index, city in enumerate(direction):
            if index:
                time += round(self.km(direction[index - 1], city) * 1.2 / 65 * 60)
                time += (self.offset(city) - self.offset(direction[index - 1])) * 60
            stop: dict[str, str] = {"terminal": self.stations[city]}
            if index:
                stop["arrive"] = _clock(time)
            if index < len(direction) - 1:
                time += 0 if index == 0 else 10
                stop["depart"] = _clock(time)
            stops.append(stop)
        return stops

    def roads(self) -> list[dict[str, Any]]:
        """Roads to the two nearest neighbours."""
        roads: list[dict[str, Any]] = []
        seen: set[frozenset[str]] = set()
        for city in self.names:
            for other in sorted((c for c in self.names if c != city), key=lambda c: self.km(city, c))[:2]:
                pair = frozenset((city, other))
                if pair in seen:
                    continue
                seen.add(pair)
                distance = round(self.km(city, other) * 1.2)
                roads.append(
                    {
                        "id": f"R-{city}-{other}",
                        "a": city,
                        "b": other,
                        "distance_km": distance,
                        "speed_kmh": self.rng.choice([55, 60, 70]),
                        "cost_per_km": 40,
                    }
                )
        return roads


def _seminars(
    rng: random.Random, names: list[str], required: int, slots: tuple[str, ...]
) -> list[dict[str, Any]]:
    """A seminar in every city; some required, some serving another region, some lighter."""
    cities = len(names)
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
    return seminars


def _closures(
    rng: random.Random, roads: list[dict[str, Any]], closures: int, start_date: dt.date, days: int
) -> list[dict[str, str]]:
    """Road closures of 8 to 24 hours at random moments of the horizon."""
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
    return closure_data


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
