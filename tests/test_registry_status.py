"""``ctdl registry status`` as a CI drift check: it never passes by comparing nothing, and it compares the
files under the path it is given (found by CTID), not the paths the journal stored."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from ctdl_tools.registry.commands import publish_command, status_command
from tests.publish_support import (
    isolated_from_config,  # noqa: F401 (autouse: keeps config out)
    make_document,
)
from tests.test_publish import fake, run, summary, write_documents  # noqa: F401 (fixtures)


def test_a_journal_for_another_target_is_an_error_not_a_pass(tmp_path: Path, fake) -> None:  # noqa: F811
    # Found in acceptance testing: right after the demo (published with --db out/registry.sqlite),
    # `ctdl registry status out/ctdl` said "0 current … 0 failed", exit 0, and made an empty registry database.
    _, url = fake
    write_documents(tmp_path / "out", 2)
    assert run(publish_command, tmp_path / "out", "--registry", url).exit_code == 0
    default = run(status_command, tmp_path / "out")
    assert default.exit_code == 2 and "Traceback" not in default.output
    assert f"which holds records published to direct:{url} (2 records)" in default.stderr
    assert not (tmp_path / "out" / ".ctdl" / "registry.sqlite").exists()
    assert run(status_command, tmp_path / "out", "--registry", url).exit_code == 0


def test_an_embedded_registry_that_is_not_there_is_not_created(tmp_path: Path) -> None:
    write_documents(tmp_path / "out", 1)
    assert run(publish_command, tmp_path / "out", "--db", tmp_path / "reg.sqlite").exit_code == 0
    elsewhere = run(status_command, tmp_path / "out", "--db", tmp_path / "other.sqlite")
    assert elsewhere.exit_code == 2 and not (tmp_path / "other.sqlite").exists()
    assert run(status_command, tmp_path / "out", "--db", tmp_path / "reg.sqlite").exit_code == 0


def test_a_renamed_file_is_still_its_records_file(tmp_path: Path, fake) -> None:  # noqa: F811
    # Found in acceptance testing: a renamed file was "stale: local file … is gone" for ever.
    _, url = fake
    out = tmp_path / "out"
    write_documents(out, 2)
    assert run(publish_command, out, "--registry", url).exit_code == 0
    first = sorted(out.glob("*.json"))[0]
    first.rename(out / "renamed.json")
    status = run(status_command, out, "--registry", url, "--format", "json")
    assert status.exit_code == 0 and summary(status)["counts"] == {"current": 2}


def test_a_copied_checkout_is_compared_with_its_own_files(tmp_path: Path, fake) -> None:  # noqa: F811
    # Found in acceptance testing: status of a copy read the original's files (128 current while the copy had
    # an unpublished edit), then all stale once the original was gone.
    _, url = fake
    write_documents(tmp_path / "a", 3)
    assert run(publish_command, tmp_path / "a", "--registry", url).exit_code == 0
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    edited = make_document(1, version=2)
    (tmp_path / "b" / f"{edited['@graph'][0]['ceterms:ctid']}.json").write_text(json.dumps(edited))
    shutil.rmtree(tmp_path / "a")
    status = run(status_command, tmp_path / "b", "--registry", url, "--format", "json")
    assert status.exit_code == 1 and summary(status)["counts"] == {"current": 2, "stale": 1}
    (stale,) = [r for r in summary(status)["records"] if r["action"] == "stale"]
    assert stale["messages"] == ["local file changed since it was published"]
    assert stale["file"].startswith(str(tmp_path / "b"))


def test_an_unreadable_input_leaves_no_new_journal(tmp_path: Path) -> None:
    # Found in acceptance testing: the journal was created before the inputs were read, so a run refused for an
    # unreadable file left an empty journal behind.
    write_documents(tmp_path / "out", 1)
    (tmp_path / "out" / "broken.json").write_text("{not json")
    result = run(publish_command, tmp_path / "out")
    assert result.exit_code == 2 and "broken.json" in result.stderr
    assert not (tmp_path / "out" / ".ctdl" / "journal.sqlite").exists()


def test_each_local_file_is_read_once(tmp_path: Path, fake, monkeypatch) -> None:  # noqa: F811
    # Finding the records' files by CTID reads them: comparing must not read them all again.
    import ctdl_tools.registry.status as status_module

    _, url = fake
    out = tmp_path / "out"
    write_documents(out, 3)
    assert run(publish_command, out, "--registry", url).exit_code == 0
    sorted(out.glob("*.json"))[0].unlink()
    reads: list[str] = []
    real = status_module.read_json

    def counting(path):  # type: ignore[no-untyped-def]
        reads.append(str(path))
        return real(path)

    monkeypatch.setattr(status_module, "read_json", counting)
    status = run(status_command, out, "--registry", url, "--format", "json")
    assert status.exit_code == 1 and summary(status)["counts"] == {"current": 2, "stale": 1}
    assert sorted(reads) == sorted(str(p) for p in out.glob("*.json"))
    (stale,) = [r for r in summary(status)["records"] if r["action"] == "stale"]
    assert stale["messages"] == ["no file under the given path holds this record"]
