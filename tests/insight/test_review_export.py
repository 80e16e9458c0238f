"""Review queue -> Rasa NLU training data that `rasa data validate` accepts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from insight import review
from insight.config import InsightConfig
from insight.ingest import Ingestor
from insight.synthetic import MISUNDERSTOOD, generate
from quartierslotse.settings import PROJECT_ROOT

LABELS = {  # text in the queue (redacted) -> intent chosen by the annotator
    "kann mir jemand beim Formular von der Kasse helfen, [E-Mail]": "request_human",
    "ich bin am [Datum] geboren, steht mir was zu": "ask_pflegegrad",
    "wie wird das Wetter morgen": "out_of_scope",
}


@pytest.fixture
def queue(tmp_path: Path) -> sa.engine.Engine:
    tracker, app = f"sqlite:///{tmp_path / 't.db'}", f"sqlite:///{tmp_path / 'a.db'}"
    generate(sa.create_engine(tracker), conversations=300, days=7, seed=3)
    target = sa.create_engine(app)
    Ingestor(InsightConfig(tracker_store_url=tracker, database_url=app, ingest_lag_seconds=0),
             target=target).run()
    return target


def test_queue_holds_only_redacted_texts(queue: sa.engine.Engine) -> None:
    texts = {item["text"] for item in review.items(queue, limit=1000)}
    assert texts <= {*LABELS, "Meine Nummer ist [Telefon], bitte zurückrufen",
                     "Überweisung an [IBAN] klappt nicht", "Fußpflege Hausbesuch",
                     "hmm und was noch"}
    raw_pii = ("0231 5012345", "oma.erna@example.de", "03.04.1941", "DE89 3704")
    assert not any(p in text for text in texts for p in raw_pii)
    assert len(MISUNDERSTOOD) == 6


def test_labelling_and_export_is_valid_rasa_nlu(queue: sa.engine.Engine, tmp_path: Path) -> None:
    intents = review.domain_intents()
    assert "out_of_scope" in intents and "nlu_fallback" not in intents
    with pytest.raises(ValueError):
        review.label(queue, 1, "no_such_intent", "annotator", intents)
    for item in review.items(queue, limit=1000):
        if item["text"] in LABELS:
            assert review.label(queue, item["id"], LABELS[item["text"]], "Frau Test", intents)
        elif item["text"].startswith("hmm"):
            assert review.discard(queue, item["id"], "Frau Test")
    counts = review.counts(queue)
    assert counts["labelled"] > 0 and counts["out_of_scope"] > 0 and counts["discarded"] > 0

    out = tmp_path / "nlu" / "pruefliste.yml"
    result = review.export_nlu(queue, out)
    existing = review.existing_examples()  # the project's data/nlu may already hold some
    expected = {(t, i) for t, i in LABELS.items() if " ".join(t.lower().split()) not in existing}
    assert result.examples == len(expected)
    assert result.skipped_existing == len(LABELS) - len(expected)
    assert result.skipped_conflicts == 0

    # Rasa's own reader (with its YAML schema validation) reads the file
    data = RasaYAMLReader().read(str(out))
    found = {(m.get("text"), m.get("intent")) for m in data.intent_examples}
    assert found == expected and expected
    domain = Domain.load(str(PROJECT_ROOT / "bot" / "domain"))
    assert {intent for _, intent in found} <= set(domain.intents)
    assert yaml.safe_load(out.read_text())["version"] == "3.1"

    # `rasa data validate` on the project's data plus the export: no error, and no warning
    # about the exported examples (unknown intents, conflicting labels)
    data_dir = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data", data_dir)
    shutil.copy(out, data_dir / "nlu" / "pruefliste.yml")
    run = subprocess.run(
        [sys.executable, "-m", "rasa", "data", "validate", "--domain",
         str(PROJECT_ROOT / "bot" / "domain"), "--data", str(data_dir), "--config",
         str(PROJECT_ROOT / "bot" / "config.yml")],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,  # Rasa's cache stays in tmp
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2",
             "RASA_CACHE_DIRECTORY": str(tmp_path / "rasa-cache")},
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    for text, intent in LABELS.items():
        assert text not in output
        assert f"labeled with intent '{intent}'" not in output


def test_export_skips_known_examples_and_conflicts(queue: sa.engine.Engine,
                                                   tmp_path: Path) -> None:
    nlu_dir = tmp_path / "nlu"
    nlu_dir.mkdir()
    (nlu_dir / "x.yml").write_text(
        'version: "3.1"\nnlu:\n  - intent: out_of_scope\n    examples: |\n'
        "      - Wie wird das [Wetter](topic) morgen\n", encoding="utf-8")
    items = review.items(queue, limit=1000)
    weather = [i for i in items if i["text"] == "wie wird das Wetter morgen"]
    birthday = [i for i in items if i["text"].startswith("ich bin am")]
    assert len(birthday) >= 2
    review.label(queue, weather[0]["id"], "out_of_scope", "a")
    review.label(queue, birthday[0]["id"], "ask_pflegegrad", "a")
    review.label(queue, birthday[1]["id"], "ask_wohnen", "b")  # contradicts the first
    result = review.export_nlu(queue, tmp_path / "out.yml", nlu_dir=nlu_dir)
    assert (result.examples, result.skipped_existing, result.skipped_conflicts) == (0, 1, 1)
    assert yaml.safe_load((tmp_path / "out.yml").read_text()) == {"version": "3.1", "nlu": []}


def test_clean_example_never_produces_entity_syntax() -> None:
    cleaned = review.clean_example("ruf [Telefon](abends) an\n bitte")
    assert cleaned == "ruf [Telefon] (abends) an bitte"
    assert review.clean_example("Mail: a@b.de") == "Mail: [E-Mail]"


def test_groups_show_each_text_once_and_label_them_together(queue: sa.engine.Engine) -> None:
    groups = review.groups(queue, limit=100)
    assert len({g["text"] for g in groups}) == len(groups)
    assert sum(g["count"] for g in groups) == review.counts(queue)["open"]
    top = groups[0]
    assert top["count"] > 1
    assert review.label(queue, top["id"], "out_of_scope", "Frau Test", same_text=True)
    assert review.counts(queue)["out_of_scope"] == top["count"]
    assert review.reopen(queue, top["id"], same_text=True)
    assert review.counts(queue)["out_of_scope"] == 0
    # scoped to another municipality, the item is not found
    assert not review.discard(queue, top["id"], "x", municipality="Nirgendwo")
