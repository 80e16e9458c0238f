"""Place names from the seed files (no database needed), for the NLU entity ruler."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from knowledge.fileformats import load_file

SEED_DIR = Path(__file__).resolve().parent / "data"


def _names_in(document: dict) -> set[str]:
    names = {document["municipality"]["name"]}
    for area in document.get("areas") or []:
        names.add(area["name"])
        names.update(area.get("aliases") or [])
        names.update(area.get("stadtteile") or [])
    return names


@lru_cache(maxsize=1)
def _cached(seed_dir: str) -> tuple[str, ...]:
    names: set[str] = set()
    for path in sorted(Path(seed_dir).glob("*.yml")):
        names |= _names_in(load_file(path))
    return tuple(sorted(name.strip() for name in names if name and name.strip()))


def all_place_names(seed_dir: Path = SEED_DIR) -> list[str]:
    """Every Stadtteil/Stadtbezirk/Sozialraum/city name and spelling variant in the seeds."""
    return list(_cached(str(seed_dir)))
