"""The open-set bench on real characters nobody enrolled: the gallery's score, with its margin over
the runner-up, must separate strangers and read as confidence at least as well as the similarity
alone did (the baseline the bench measures in the same run)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.shared_data

BENCH = Path(__file__).resolve().parents[2] / "bench" / "open_set.py"


def test_open_set_on_danbooru6_beats_the_similarity_only_calibration(shared_data):
    done = subprocess.run([sys.executable, str(BENCH), "--data", str(shared_data / "characters" / "danbooru6"),
                           "--json"], capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)["calibrations"]
    margin, baseline = figures["similarity + margin (default)"], figures["similarity only (baseline)"]
    # every label is a stranger once: 30 % of each label's images are queries, 2 of 6 labels held out per round
    assert margin["stranger_queries"] > 100 and margin["enrolled_label_queries"] > 200
    assert margin["strangers_said_unknown"] > baseline["strangers_said_unknown"]
    assert margin["auroc_enrolled_vs_stranger"] > baseline["auroc_enrolled_vs_stranger"]
    assert margin["ece_even_prior"] < baseline["ece_even_prior"]
    assert margin["ece_even_prior"] < 0.1            # confidence means what it says, within 0.1
    assert margin["known_answered_wrong"] < 0.06     # an enrolled character rarely gets another's name
