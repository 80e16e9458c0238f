"""`rasa test core` on tests/test_stories.yml with the shared trained model: no story may fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from quartierslotse.settings import PROJECT_ROOT

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_all_test_stories_pass(trained_model: Path, tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-m", "rasa", "test", "core", "--model", str(trained_model),
         "--stories", str(PROJECT_ROOT / "tests" / "test_stories.yml"),
         "--out", str(tmp_path), "--fail-on-prediction-errors", "--no-plot"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    failed = tmp_path / "failed_test_stories.yml"
    failed_text = failed.read_text(encoding="utf-8") if failed.exists() else "(no report)"
    assert result.returncode == 0, failed_text + result.stdout[-2000:] + result.stderr[-2000:]
    assert failed.exists() and "story:" not in failed_text, failed_text
