from pathlib import Path

import spacy

from bot.nlp import PLACE_LABEL, build_pipeline


def test_pipeline_lemmatizes_german_and_tags_known_places(tmp_path: Path) -> None:
    out = tmp_path / "spacy_de"
    stamp = build_pipeline(out, ["Hörde", "Alstaden", "Sterkrade-Mitte"])
    nlp = spacy.load(out)
    doc = nlp("Meine Mutter wohnt in hörde und braucht Pflegegeld")
    assert [ent.text for ent in doc.ents if ent.label_ == PLACE_LABEL] == ["hörde"]
    assert doc[2].lemma_ == "wohnen"
    assert stamp["places"] == 3


def test_pipeline_is_rebuilt_only_when_inputs_change(tmp_path: Path) -> None:
    out = tmp_path / "spacy_de"
    build_pipeline(out, ["Hörde"])
    first_mtime = (out / "config.cfg").stat().st_mtime_ns
    build_pipeline(out, ["Hörde"])
    assert (out / "config.cfg").stat().st_mtime_ns == first_mtime
    stamp = build_pipeline(out, ["Hörde", "Eving"])
    assert stamp["places"] == 2
