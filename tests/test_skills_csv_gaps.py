"""Plain skills CSV: a competency row with no text fails that competency only, not its framework."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .test_convert_tables import run

ROWS = [
    ["Framework", "ID", "Competency", "Label", "Parent"],
    ["Welding Skills", "W1", "Work safely in a weld shop", "Shop safety", ""],
    ["", "W2", "Weld in the flat position", "Flat welds", "W1"],
    ["", "W3", "", "SMAW Vertical and Overhead", "W1"],
    ["", "W4", "Read weld symbols", "", ""],
]


def test_a_competency_without_text_is_left_out_and_the_framework_is_written(tmp_path: Path) -> None:
    # Found in acceptance testing: one empty Competency cell (with a Label beside it) failed the whole framework:
    # it and its 65 competencies were not written.
    path = tmp_path / "skills.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(ROWS)
    code, _, err = run("convert", str(path), "-o", str(tmp_path / "out"))
    assert code == 1, err
    assert (f"{path}, row 4, column 'Competency': the competency text is required: this competency "
            "('SMAW Vertical and Overhead') is left out, the rest of the framework is written without it") in err
    assert err.count("error:") == 1, err
    (document,) = [json.loads(p.read_text()) for p in (tmp_path / "out").glob("*.json")]
    texts = [node["ceasn:competencyText"]["en-US"] for node in document["@graph"][1:]]
    assert texts == ["Work safely in a weld shop", "Weld in the flat position", "Read weld symbols"]
