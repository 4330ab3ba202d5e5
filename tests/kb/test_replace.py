"""`ekb import --replace` keeps what no source gives: each surviving claim's dates and
the topic's history; and refuses to drop the stances and notices recorded beside it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidencekb.errors import KBError
from evidencekb.kb.claims_jsonl import import_claims_jsonl
from evidencekb.kb.importer import import_summary
from evidencekb.kb.load import load_kb
from evidencekb.paths import EVIDENCE_FILE, NOTICES_FILE
from fixtures import REPO, ekb_here, folder_bytes

SAMPLE = REPO / "tests" / "data" / "evidence-sample.jsonl"
HISTORY = (
    'last_reviewed = "2026-02-01"\n\n'
    '[[change]]\ndate = "2026-02-01"\nsummary = "Reviewed against the 2018 consensus guidelines."\n'
    "conclusions_changed = false\n"
)
# The seed's line 6, and a newer version of the summary that cuts it after its first
# clause (nothing added to what the source says).
OLD_LINE = (
    "- Ketamine is typically administered as intravenous infusions at sub-anesthetic doses "
    "ranging from 0.1-1.0 mg/kg over 1-4 hours, with treatment protocols often involving "
    "a series of 4-6 infusions over 1-2 weeks."
)
NEW_LINE = OLD_LINE.split(", with")[0] + "."


@pytest.fixture
def dated(empty_kb: Path, seed_text: str, tmp_path: Path) -> tuple[Path, Path]:
    """The seed imported on 2026-01-10, its topic reviewed since; (kb, summary)."""
    source = tmp_path / "ketamine.txt"
    source.write_text(seed_text, encoding="utf-8")
    import_summary(empty_kb, source, "ketamine-pain", added="2026-01-10")
    topic = empty_kb / "topics" / "ketamine-pain" / "topic.toml"
    topic.write_text(topic.read_text(encoding="utf-8") + HISTORY, encoding="utf-8")
    return empty_kb, source


def test_a_new_version_keeps_each_surviving_claims_date_and_the_topics_history(
    dated: tuple[Path, Path],
) -> None:
    kb_dir, source = dated
    text = source.read_text(encoding="utf-8")
    assert OLD_LINE in text
    source.write_text(text.replace(OLD_LINE, NEW_LINE), encoding="utf-8")
    import_summary(kb_dir, source, "ketamine-pain", replace=True, added="2026-06-01")
    topic = load_kb(kb_dir).topic("ketamine-pain")
    reworded = [c for c in topic.claims if c.added == "2026-06-01"]
    assert [c.text for c in reworded] == [NEW_LINE.removeprefix("- ")]
    assert all(
        c.added == "2026-01-10" and c.changed is None for c in topic.claims if c not in reworded
    )
    assert (topic.last_reviewed, [c.summary for c in topic.changes]) == (
        "2026-02-01",
        ["Reviewed against the 2018 consensus guidelines."],
    )


def test_a_claim_the_source_gives_alike_keeps_its_changed_date_and_one_recited_does_not(
    dated: tuple[Path, Path],
) -> None:
    """A claim whose text and citations are the same keeps its last change's date; one
    whose citations differ (its id, made from its text, is the same) changed now."""
    kb_dir, source = dated
    claims = kb_dir / "topics" / "ketamine-pain" / "claims.toml"
    text = claims.read_text(encoding="utf-8")
    claims.write_text(
        text.replace('added = "2026-01-10"', 'added = "2026-01-10"\nchanged = "2026-03-01"'),
        encoding="utf-8",
    )
    summary = source.read_text(encoding="utf-8")
    cited = (
        "- Ketamine is used to treat various chronic pain syndromes, especially those "
        "with a neuropathic component 2."
    )
    assert cited in summary
    source.write_text(summary.replace(cited, cited.replace(" 2.", " 3.")), encoding="utf-8")
    import_summary(kb_dir, source, "ketamine-pain", replace=True, added="2026-06-01")
    topic = load_kb(kb_dir).topic("ketamine-pain")
    recited = [c for c in topic.claims if c.changed == "2026-06-01"]
    assert [(c.citations, c.added) for c in recited] == [((3,), "2026-01-10")]
    assert all(c.changed == "2026-03-01" for c in topic.claims if c not in recited)


def test_a_claim_kept_by_its_id_but_reworded_is_changed_on_the_imports_date(
    kb_dir: Path, tmp_path: Path
) -> None:
    import_claims_jsonl(kb_dir, SAMPLE, "sample", added="2026-01-10")
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["text"] = first["text"].replace("1 in 5 million", "One in five million")
    source = tmp_path / "evidence-sample.jsonl"
    source.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    import_claims_jsonl(kb_dir, source, "sample", replace=True, added="2026-06-01")
    claims = load_kb(kb_dir).topic("sample").claims
    assert [(c.id, c.added, c.changed) for c in claims[:2]] == [
        ("scifact-2", "2026-01-10", "2026-06-01"),
        ("scifact-10", "2026-01-10", None),
    ]


@pytest.mark.parametrize("name", [EVIDENCE_FILE, NOTICES_FILE])
def test_a_summary_import_refuses_to_drop_stances_or_notices(
    dated: tuple[Path, Path], name: str
) -> None:
    kb_dir, source = dated
    folder = kb_dir / "topics" / "ketamine-pain"
    (folder / name).write_text("# What a curator recorded.\n", encoding="utf-8")
    before = folder_bytes(kb_dir)
    what = {
        EVIDENCE_FILE: "the stances of the cited works",
        NOTICES_FILE: "the editorial notices on the cited works",
    }[name]
    ran = ekb_here(
        "import", str(source), "--topic", "ketamine-pain", "--replace", "--kb", str(kb_dir)
    )
    assert (ran.exit_code, ran.stdout, ran.stderr) == (
        1,
        "",
        f"Error: {folder}: --replace would drop {name} ({what}, by claim id and reference "
        "number, which a new version may change); move it out of the folder, import, then "
        "put back what still applies (`ekb check` names what does not)\n",
    )
    assert folder_bytes(kb_dir) == before


def test_a_claims_file_with_stances_gives_the_topic_its_evidence_anew(
    kb_dir: Path, tmp_path: Path
) -> None:
    import_claims_jsonl(kb_dir, SAMPLE, "sample")
    assert (kb_dir / "topics" / "sample" / EVIDENCE_FILE).exists()
    import_claims_jsonl(kb_dir, SAMPLE, "sample", replace=True)  # the file's stances anew
    bare = tmp_path / "bare.jsonl"
    rows = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    bare.write_text(
        "".join(
            json.dumps({k: v for k, v in row.items() if k != "evidence"}) + "\n" for row in rows
        ),
        encoding="utf-8",
    )
    with pytest.raises(KBError, match=r"--replace would drop evidence\.toml \(the stances"):
        import_claims_jsonl(kb_dir, bare, "sample", replace=True)
