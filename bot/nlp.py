"""Builds the project-local German spaCy pipeline that Rasa's SpacyNLP loads by path.

With `de_core_news_sm` installed the pipeline starts from it (tagger, parser, NER,
rule-based lemmatizer). Without it, it starts from `spacy.blank("de")` with the lookup
lemmatizer from spacy-lookups-data. Both get an entity ruler that tags the place names
of the knowledge base as `place`, so places unseen in training data are still found.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import shutil
from collections.abc import Iterable
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.pipeline import EntityRuler

logger = logging.getLogger(__name__)

FULL_MODEL = "de_core_news_sm"
PLACE_LABEL = "place"
STAMP_FILE = "quartierslotse_build.json"


def _base_pipeline() -> tuple[Language, str]:
    try:
        nlp = spacy.load(FULL_MODEL)
        return nlp, FULL_MODEL
    except OSError:
        nlp = spacy.blank("de")
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        return nlp, "blank-de+lookup-lemmatizer"


def _add_place_ruler(nlp: Language, place_names: Iterable[str]) -> int:
    names = sorted({name.strip() for name in place_names if name and name.strip()})
    ruler_config = {"phrase_matcher_attr": "LOWER", "overwrite_ents": True}
    before = "ner" if "ner" in nlp.pipe_names else None
    ruler = nlp.add_pipe("entity_ruler", name="place_ruler", config=ruler_config, before=before)
    assert isinstance(ruler, EntityRuler)
    ruler.add_patterns([{"label": PLACE_LABEL, "pattern": name} for name in names])
    return len(names)


def build_pipeline(out_dir: Path, place_names: Iterable[str] = ()) -> dict[str, object]:
    """Build the pipeline into `out_dir` unless an identical one is already there."""
    names = sorted(set(place_names))
    fingerprint = hashlib.sha256(
        json.dumps({"names": names, "spacy": spacy.__version__}).encode()
    ).hexdigest()
    stamp_path = out_dir / STAMP_FILE
    if stamp_path.exists():
        stamp = json.loads(stamp_path.read_text())
        if stamp.get("fingerprint") == fingerprint and stamp.get("base") == _available_base():
            return stamp
    nlp, base = _base_pipeline()
    place_count = _add_place_ruler(nlp, names)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)
    stamp = {"fingerprint": fingerprint, "base": base, "places": place_count,
             "pipes": nlp.pipe_names}
    stamp_path.write_text(json.dumps(stamp, indent=2))
    return stamp


def _available_base() -> str:
    return FULL_MODEL if spacy.util.is_package(FULL_MODEL) else "blank-de+lookup-lemmatizer"


def known_place_names() -> list[str]:
    """Place names from the knowledge base seed files (empty if the knowledge base has none)."""
    try:
        from knowledge.places import all_place_names
    except ImportError:
        return []
    return list(all_place_names())


def main(argv: list[str] | None = None) -> int:
    from quartierslotse.settings import get_settings

    parser = argparse.ArgumentParser(description="Build the German spaCy pipeline for Rasa")
    parser.add_argument("--out", type=Path, default=get_settings().spacy_model_path)
    args = parser.parse_args(argv)
    stamp = build_pipeline(args.out, known_place_names())
    print(f"spaCy pipeline in {args.out}: base={stamp['base']}, places={stamp['places']}")
    return 0


if __name__ == "__main__":
    main()
