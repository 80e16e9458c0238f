"""Trains the Rasa model only when training data, domain, config or NLP pipeline changed."""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from quartierslotse.settings import PROJECT_ROOT, Settings
from security import hardening

MODEL_NAME = "quartierslotse"
TRAINING_INPUTS = ("bot/config.yml", "bot/domain", "data")


def training_fingerprint(spacy_model: Path) -> str:
    digest = hashlib.sha256()
    paths: list[Path] = []
    for entry in TRAINING_INPUTS:
        path = PROJECT_ROOT / entry
        paths.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    stamp = spacy_model / "quartierslotse_build.json"
    if stamp.exists():
        paths.append(stamp)
    for path in paths:
        name = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
        digest.update(str(name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def model_path(settings: Settings) -> Path:
    return settings.model_dir / f"{MODEL_NAME}.tar.gz"


def ensure_trained(settings: Settings, force: bool = False) -> Path:
    """Return the path of an up-to-date model, training one if needed.

    A file lock makes concurrent callers (parallel test runs, `make run`) wait for one
    training instead of training twice into the same directory.
    """
    settings.model_dir.mkdir(parents=True, exist_ok=True)
    with (settings.model_dir / ".train.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _train_if_changed(settings, force)


def _train_if_changed(settings: Settings, force: bool) -> Path:
    target = model_path(settings)
    fingerprint_file = settings.model_dir / f"{MODEL_NAME}.fingerprint"
    fingerprint = training_fingerprint(settings.spacy_model_path)
    if (not force and target.exists() and fingerprint_file.exists()
            and fingerprint_file.read_text().strip() == fingerprint):
        return target
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable, "-m", "rasa", "train",
            "--config", "bot/config.yml",
            "--domain", "bot/domain",
            "--data", "data",
            "--out", str(settings.model_dir),
            "--fixed-model-name", MODEL_NAME,
            # without --force Rasa reuses cached components whose inputs did not change
            # (a response edit does not retrain the NLU); a fresh clone trains everything
            *(["--force"] if force else []),
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, **hardening.process_env()},  # no telemetry to third parties
        check=True,
    )
    fingerprint_file.write_text(fingerprint)
    print(f"Modell trainiert in {time.monotonic() - started:.0f} s: {target}")
    return target


def main(argv: list[str] | None = None) -> int:
    """`quartierslotse train [--force]`: train when the training data changed (or forced)."""
    from quartierslotse.settings import get_settings

    args = sys.argv[1:] if argv is None else argv
    print(ensure_trained(get_settings(), force="--force" in args))
    return 0


if __name__ == "__main__":
    main()
