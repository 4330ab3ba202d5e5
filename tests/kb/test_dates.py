"""Dates that stay true: claims' `added` and `changed`, topics' review dates and change
log, `ekb import --date`, `ekb changes --since REV [--stamp DATE]` and `ekb check
--since REV` in a git checkout."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from evidencekb.errors import KBError, ValidationError
from evidencekb.kb.changes import changes_since
from evidencekb.kb.load import load_kb
from fixtures import REPO_KB, RETRACTED_TOPIC, SEED_COPY, add_retracted_sample, git

MEHRA = "retracted-sample-0b419dba"
WAKEFIELD = "retracted-sample-e0fdfc19"


def ekb(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "evidencekb", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A git checkout whose one commit holds the repository's kb and the retracted sample."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO_KB, repo / "kb")
    add_retracted_sample(repo / "kb", notices=False)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "kb")
    return repo


def claims_file(repo: Path) -> Path:
    return repo / "kb" / "topics" / RETRACTED_TOPIC / "claims.toml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_rewording_fails_check_since_until_stamped(checkout: Path) -> None:
    kb = str(checkout / "kb")
    edit(claims_file(checkout), "We were unable to confirm", "We did not confirm")
    failed = ekb("check", "--since", "HEAD", "--kb", kb)
    assert failed.returncode == 1
    assert failed.stderr.splitlines() == [
        f"{MEHRA}: text changed; no changed date (not moved since the revision)",
        "Error: 1 claim changed since HEAD without its date moving; run "
        "`ekb changes --since HEAD --stamp YYYY-MM-DD`",
    ]
    before = claims_file(checkout).read_text(encoding="utf-8")
    stamped = ekb("changes", "--since", "HEAD", "--stamp", "2026-12-05", "--kb", kb)
    assert (stamped.returncode, stamped.stderr) == (0, "")
    after = claims_file(checkout).read_text(encoding="utf-8")
    # Only the one line is added, after the claim's last field; nothing else moves.
    assert after == before.replace("source_line = 2\n", 'source_line = 2\nchanged = "2026-12-05"\n')
    assert ekb("check", "--since", "HEAD", "--kb", kb).returncode == 0
    assert load_kb(checkout / "kb").claim(MEHRA).changed == "2026-12-05"


def test_formatting_and_curation_are_not_changes(checkout: Path) -> None:
    edit(claims_file(checkout), "citations = [2]", "citations = [ 2 ]  # the Lancet paper")
    assert changes_since(checkout / "kb", "HEAD") == ()
    result = ekb("changes", "--since", "HEAD", "--kb", str(checkout / "kb"))
    assert result.stdout == "No claim has changed since HEAD.\n"


def test_strength_and_citation_changes_are_named(checkout: Path) -> None:
    seed = checkout / "kb" / "topics" / "ketamine-pain" / "claims.toml"
    edit(
        seed,
        'strength = "low"\nstrength_method = "stated"',
        'strength = "very-low"\nstrength_method = "stated"',
    )
    changes = changes_since(checkout / "kb", "HEAD")
    assert [change.what for change in changes] == [("strength",)]


def test_a_new_claim_needs_its_added_date(checkout: Path) -> None:
    source = checkout / "summary.txt"
    source.write_text(SEED_COPY.read_text(encoding="utf-8"), encoding="utf-8")
    kb = str(checkout / "kb")
    imported = ekb("import", str(source), "--topic", "again", "--date", "2026-11-23", "--kb", kb)
    assert imported.returncode == 0, imported.stderr
    assert {c.added for c in load_kb(checkout / "kb").topic("again").claims} == {"2026-11-23"}
    assert ekb("check", "--since", "HEAD", "--kb", kb).returncode == 0
    edit(checkout / "kb/topics/again/claims.toml", 'added = "2026-11-23"\n', "")
    failed = ekb("check", "--since", "HEAD", "--kb", kb)
    assert failed.returncode == 1 and ": new, no added date" in failed.stderr


def test_import_stamps_today_unless_told(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(REPO_KB, kb, ignore=shutil.ignore_patterns("topics"))
    (kb / "topics").mkdir()
    result = ekb("import", str(SEED_COPY), "--topic", "seed", "--kb", str(kb))
    assert result.returncode == 0, result.stderr
    after = datetime.date.today()
    days = {(after - datetime.timedelta(days=1)).isoformat(), after.isoformat()}  # midnight
    assert {c.added for c in load_kb(kb).claims} <= days
    bad = ekb("import", str(SEED_COPY), "--topic", "x", "--date", "5/12/2026", "--kb", str(kb))
    assert (bad.returncode, bad.stderr) == (
        1,
        'Error: --date \'5/12/2026\' must be a date written "YYYY-MM-DD", like "2026-12-05"\n',
    )


def test_bad_revision_and_no_checkout_are_one_line(checkout: Path, kb_dir: Path) -> None:
    result = ekb("changes", "--since", "nope", "--kb", str(checkout / "kb"))
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: {checkout / 'kb'}: no revision 'nope' in this checkout\n",
    )
    outside = ekb("changes", "--since", "HEAD", "--kb", str(kb_dir))
    assert outside.returncode == 1
    assert outside.stderr.endswith("is not in a git checkout; --since reads kb/ as git holds it\n")
    with pytest.raises(KBError, match="is not a day of the calendar"):
        from evidencekb.kb.changes import stamp

        stamp(checkout / "kb", (), "2026-02-30")


def test_dates_are_checked_where_they_stand(kb_dir: Path) -> None:
    claims = kb_dir / "topics" / "ketamine-pain" / "claims.toml"
    edit(
        claims,
        "source_line = 20\n",
        'source_line = 20\nadded = "2026-12-05"\nchanged = "2026-11-01"\n',
    )
    edit(claims, "source_line = 19\n", 'source_line = 19\nadded = "yesterday"\n')
    topic = kb_dir / "topics" / "ketamine-pain" / "topic.toml"
    topic.write_text(
        topic.read_text(encoding="utf-8")
        + 'last_reviewed = "2026-12-5"\n\n[[change]]\ndate = "2026-12-05"\nsummary = "x"\n'
        'conclusions_changed = "no"\n',
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as raised:
        load_kb(kb_dir)
    messages = sorted(p.message for p in raised.value.problems)
    assert messages == [
        'added \'yesterday\' must be a date written "YYYY-MM-DD", like "2026-12-05"',
        "changed 2026-11-01 is before added 2026-12-05",
        "field 'conclusions_changed' must be true or false",
        'last_reviewed \'2026-12-5\' must be a date written "YYYY-MM-DD", like "2026-12-05"',
    ]


def test_topic_review_dates_and_change_log_newest_first(kb_dir: Path) -> None:
    topic = kb_dir / "topics" / "ketamine-pain" / "topic.toml"
    topic.write_text(
        topic.read_text(encoding="utf-8")
        + 'last_reviewed = "2026-12-05"\nliterature_searched = "2026-11-30"\n\n'
        '[[change]]\ndate = "2026-11-23"\nsummary = "Imported."\nconclusions_changed = false\n\n'
        '[[change]]\ndate = "2026-12-05"\nsummary = "Dosing reworded."\n'
        "conclusions_changed = true\n",
        encoding="utf-8",
    )
    loaded = load_kb(kb_dir).topic("ketamine-pain")
    assert (loaded.last_reviewed, loaded.literature_searched) == ("2026-12-05", "2026-11-30")
    assert [(c.date, c.conclusions_changed) for c in loaded.changes] == [
        ("2026-12-05", True),
        ("2026-11-23", False),
    ]


@pytest.fixture
def dated_checkout(checkout: Path) -> Path:
    """The checkout with a second commit dating the Mehra claim: added, then changed."""
    edit(
        claims_file(checkout),
        "source_line = 2\n",
        'source_line = 2\nadded = "2026-11-23"\nchanged = "2026-12-01"\n',
    )
    git(checkout, "commit", "-qam", "dated")
    return checkout


def test_a_stamp_never_moves_a_date_back(dated_checkout: Path) -> None:
    kb = str(dated_checkout / "kb")
    edit(claims_file(dated_checkout), "We were unable to confirm", "We did not confirm")
    before = claims_file(dated_checkout).read_bytes()
    stamped = ekb("changes", "--since", "HEAD", "--stamp", "2026-11-30", "--kb", kb)
    assert (stamped.returncode, stamped.stderr) == (
        1,
        f"Error: nothing stamped: {MEHRA} was last changed 2026-12-01, and 2026-11-30 is "
        "not later; a stamp never moves a date back\n",
    )
    assert claims_file(dated_checkout).read_bytes() == before
    assert ekb("changes", "--since", "HEAD", "--stamp", "2026-12-06", "--kb", kb).returncode == 0
    assert load_kb(dated_checkout / "kb").claim(MEHRA).changed == "2026-12-06"


def test_check_since_fails_a_changed_date_moved_back(dated_checkout: Path) -> None:
    edit(claims_file(dated_checkout), "We were unable to confirm", "We did not confirm")
    edit(claims_file(dated_checkout), 'changed = "2026-12-01"', 'changed = "2026-11-25"')
    failed = ekb("check", "--since", "HEAD", "--kb", str(dated_checkout / "kb"))
    assert failed.returncode == 1
    assert failed.stderr.splitlines()[0] == (
        f"{MEHRA}: text changed; changed 2026-11-25 (before 2026-12-01, the revision's)"
    )


def test_check_since_fails_an_added_date_moved_but_not_one_filled_in(
    dated_checkout: Path,
) -> None:
    kb = str(dated_checkout / "kb")
    edit(claims_file(dated_checkout), 'added = "2026-11-23"', 'added = "2026-11-01"')
    failed = ekb("check", "--since", "HEAD", "--kb", kb)
    assert failed.returncode == 1
    assert failed.stderr.splitlines() == [
        f"{MEHRA}: added 2026-11-01, but 2026-11-23 at the revision "
        "(a claim is added once: put its date back)",
        "Error: the added date of 1 claim moved since HEAD; put it back",
    ]
    # A stamp cannot mend it, and does not try: the claim's meaning did not change.
    stamped = ekb("changes", "--since", "HEAD", "--stamp", "2026-12-06", "--kb", kb)
    assert stamped.returncode == 0
    assert load_kb(dated_checkout / "kb").claim(MEHRA).changed == "2026-12-01"
    edit(claims_file(dated_checkout), 'added = "2026-11-01"', 'added = "2026-11-23"')
    # The Wakefield claim's date, never recorded, may be filled in.
    edit(
        claims_file(dated_checkout), "source_line = 1\n", 'source_line = 1\nadded = "2026-11-20"\n'
    )
    assert ekb("check", "--since", "HEAD", "--kb", kb).returncode == 0


def test_a_stamp_on_the_revisions_own_date_is_refused(dated_checkout: Path) -> None:
    """Check asks a change since the revision to be dated later than the revision's
    `changed`: a stamp of that very day would pass here and fail there."""
    kb = str(dated_checkout / "kb")
    edit(claims_file(dated_checkout), "We were unable to confirm", "We did not confirm")
    stamped = ekb("changes", "--since", "HEAD", "--stamp", "2026-12-01", "--kb", kb)
    assert (stamped.returncode, stamped.stderr) == (
        1,
        f"Error: nothing stamped: {MEHRA} was last changed 2026-12-01, and 2026-12-01 is "
        "not later; a stamp never moves a date back\n",
    )
    assert ekb("changes", "--since", "HEAD", "--stamp", "2026-12-02", "--kb", kb).returncode == 0
    assert ekb("check", "--since", "HEAD", "--kb", kb).returncode == 0


def test_check_since_says_what_mends_each_kind_of_untrue_date(dated_checkout: Path) -> None:
    edit(claims_file(dated_checkout), 'added = "2026-11-23"', 'added = "2026-11-01"')
    edit(claims_file(dated_checkout), "We identified associated", "We identified")  # Wakefield
    failed = ekb("check", "--since", "HEAD", "--kb", str(dated_checkout / "kb"))
    assert failed.returncode == 1
    assert failed.stderr.splitlines()[-1] == (
        "Error: 1 claim changed since HEAD without its date moving; run `ekb changes "
        "--since HEAD --stamp YYYY-MM-DD`; and the added date of 1 claim moved since HEAD; "
        "put it back"
    )


def swap_numbers(topic: Path) -> None:
    """Number the two works of a copy of the retracted sample the other way round, in
    its references.toml and wherever its claims cite them."""
    first, second = (topic / "references.toml").read_text(encoding="utf-8").split("\n\n")
    (topic / "references.toml").write_text(
        f"{second.strip().replace('number = 2', 'number = 1')}\n\n"
        f"{first.strip().replace('number = 1', 'number = 2')}\n",
        encoding="utf-8",
    )
    claims = (topic / "claims.toml").read_text(encoding="utf-8")
    for old, new in (("1", "X"), ("2", "1"), ("X", "2")):
        claims = claims.replace(f"citations = [{old}]", f"citations = [{new}]")
        claims = claims.replace(f"cites source {old}.", f"cites source {new}.")
    (topic / "claims.toml").write_text(claims, encoding="utf-8")


def add_numbered_otherwise(repo: Path) -> Path:
    """A topic citing the retracted sample's two works numbered the other way round
    (1 the Mehra paper, 2 the Wakefield paper), each cited by two claims, committed."""
    topic = repo / "kb" / "topics" / "numbered-otherwise"
    shutil.copytree(repo / "kb" / "topics" / RETRACTED_TOPIC, topic)
    swap_numbers(topic)
    claims = (topic / "claims.toml").read_text(encoding="utf-8")
    twice = claims + claims.replace("retracted-sample-", "again-").replace('"We ', '"Again: we ')
    (topic / "claims.toml").write_text(
        twice.replace("retracted-sample-", "otherwise-"), encoding="utf-8"
    )
    git(repo, "add", "kb")
    git(repo, "commit", "-qm", "numbered otherwise")
    return topic


def move_claim(claim: str, source: Path, target: Path, number: int) -> None:
    """Move the [[claim]] table `claim` from topic folder `source` to `target`, citing
    there the work numbered `number`."""
    tables = (source / "claims.toml").read_text(encoding="utf-8").split("[[claim]]")
    table = next(table for table in tables if f'"{claim}"' in table)
    tables.remove(table)
    (source / "claims.toml").write_text("[[claim]]".join(tables), encoding="utf-8")
    table = re.sub(r"citations = \[\d+\]", f"citations = [{number}]", table)
    table = re.sub(r"cites source \d+\.", f"cites source {number}.", table)
    with (target / "claims.toml").open("a", encoding="utf-8") as file:
        file.write("\n[[claim]]" + table)


def test_a_citation_is_the_work_it_cites_not_its_number(checkout: Path) -> None:
    """A claim moved to a topic that numbers its work otherwise still cites that work:
    no change. Moved keeping its number, which is another work there: a change, though
    every field of the claim reads as before."""
    topic = add_numbered_otherwise(checkout)
    sample = checkout / "kb" / "topics" / RETRACTED_TOPIC
    moved = "otherwise-e0fdfc19"  # cites 2 there, the Wakefield paper, 1 in the sample
    move_claim(moved, topic, sample, 1)
    assert changes_since(checkout / "kb", "HEAD") == ()
    move_claim(moved, sample, topic, 2)
    move_claim(moved, topic, sample, 2)  # the Mehra paper in the sample
    changes = changes_since(checkout / "kb", "HEAD")
    assert [(c.claim.id, c.what) for c in changes] == [(moved, ("citations",))]
    result = ekb("changes", "--since", "HEAD", "--kb", str(checkout / "kb"))
    assert (result.returncode, result.stdout) == (
        0,
        f"{moved}: citations changed; no changed date (not moved since the revision)\n",
    )


def test_references_renumbered_are_no_change_but_a_work_replaced_is(checkout: Path) -> None:
    sample = checkout / "kb" / "topics" / RETRACTED_TOPIC
    swap_numbers(sample)
    assert changes_since(checkout / "kb", "HEAD") == ()
    # The Wakefield reference made another work (Séralini et al., Food Chem Toxicol 2012).
    edit(sample / "references.toml", "10.1016/S0140-6736(97)11096-0", "10.1016/j.fct.2012.08.005")
    edit(sample / "references.toml", 'pmid = "9500320"\n', "")
    changes = changes_since(checkout / "kb", "HEAD")
    assert [(c.claim.id, c.what) for c in changes] == [(WAKEFIELD, ("citations",))]


def test_a_revision_without_kb_or_not_fetched_is_one_line(checkout: Path, tmp_path: Path) -> None:
    kb = checkout / "kb"
    (checkout / "README").write_text("The evidence kb.\n", encoding="utf-8")
    git(checkout, "add", "README")
    git(checkout, "commit", "-qm", "readme")
    git(checkout, "rm", "-rqf", "--cached", "kb")
    git(checkout, "commit", "-qm", "no kb yet")
    git(checkout, "add", "kb")
    git(checkout, "commit", "-qm", "kb again")
    result = ekb("changes", "--since", "HEAD~1", "--kb", str(kb))
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: {kb}: git holds no kb/ at HEAD~1; compare with a revision that has it\n",
    )
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{checkout}", str(shallow))
    result = ekb("check", "--since", "HEAD~2", "--kb", str(shallow / "kb"))
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: {shallow / 'kb'}: no revision 'HEAD~2' in this checkout (a shallow clone: "
        "fetch the history, e.g. `git fetch --unshallow`)\n",
    )


def test_a_revision_that_fails_check_says_how_many_problems(checkout: Path) -> None:
    notices = checkout / "kb" / "topics" / RETRACTED_TOPIC / "notices.toml"
    notices.write_text('[[notice]]\nreference = 3\nnature = "Retraction"\ndate = "2010-02-02"\n')
    git(checkout, "add", "kb")
    git(checkout, "commit", "-qm", "a notice on no cited work")
    notices.unlink()
    result = ekb("changes", "--since", "HEAD", "--kb", str(checkout / "kb"))
    assert (result.returncode, result.stderr) == (
        1,
        f"Error: {checkout / 'kb'} at HEAD does not pass `ekb check` (1 problem); compare "
        "with a revision that does\n",
    )


def test_a_stamp_in_a_file_of_crlf_lines_adds_a_crlf_line(checkout: Path) -> None:
    """A claims.toml saved with Windows line endings keeps them: the one line a stamp
    adds ends as the others do."""
    path = claims_file(checkout)
    text = path.read_text(encoding="utf-8").replace("We were unable", "We did not manage")
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    before = path.read_bytes()
    kb = str(checkout / "kb")
    stamped = ekb("changes", "--since", "HEAD", "--stamp", "2026-12-05", "--kb", kb)
    assert (stamped.returncode, stamped.stderr) == (0, "")
    assert path.read_bytes() == before.replace(
        b"source_line = 2\r\n", b'source_line = 2\r\nchanged = "2026-12-05"\r\n'
    )


def test_white_space_and_unicode_composition_in_a_text_are_no_change(checkout: Path) -> None:
    """A space doubled, one left at the end, "é" written as "e" and a combining accent:
    the text reads the same, so nothing is to be dated. A word changed still is."""
    import unicodedata

    path = claims_file(checkout)
    edit(path, "We were unable to confirm", "Café: we were unable to confirm")
    git(checkout, "commit", "-qam", "café")
    composed = path.read_text(encoding="utf-8")
    decomposed = composed.replace("Café", unicodedata.normalize("NFD", "Café"))
    path.write_text(decomposed.replace("were unable", "were  unable"), encoding="utf-8")
    edit(path, "children, which", "children,  which")
    edit(path, 'environmental triggers."', 'environmental triggers. "')
    assert changes_since(checkout / "kb", "HEAD") == ()
    assert ekb("check", "--since", "HEAD", "--kb", str(checkout / "kb")).returncode == 0
    edit(path, "were  unable", "were able")
    assert [c.what for c in changes_since(checkout / "kb", "HEAD")] == [("text",)]


def test_the_same_works_cited_in_another_order_are_no_change() -> None:
    """References renumbered, and a claim's numbers written in order again, cite the
    same two works in the other order: that was read as its citations changed."""
    from dataclasses import replace

    from evidencekb.kb.changes import what_differs
    from evidencekb.model import Reference
    from fixtures import make_claim

    topic = RETRACTED_TOPIC
    wakefield = Reference(topic, 1, doi="10.1016/S0140-6736(97)11096-0", pmid="9500320")
    mehra = Reference(topic, 2, doi="10.1016/S0140-6736(20)31180-6", pmid="32450107")
    claim = make_claim(topic, 0, "research", None, "The Lancet retracted both.", citations=(1, 2))
    then = {(topic, 1): wakefield, (topic, 2): mehra}
    now = {(topic, 1): replace(mehra, number=1), (topic, 2): replace(wakefield, number=2)}
    assert what_differs(claim, then, claim, now) == ()
    assert what_differs(claim, then, replace(claim, citations=(2, 1)), now) == ()
    assert what_differs(claim, then, replace(claim, citations=(1, 1)), now) == ("citations",)
    assert what_differs(claim, then, replace(claim, citations=(1,)), now) == ("citations",)


def test_check_since_fails_a_changed_date_removed_or_moved_back(dated_checkout: Path) -> None:
    """A claim whose meaning is as at the revision, and whose `changed` date is gone or
    earlier: the change it dated is undated again. That passed."""
    kb = str(dated_checkout / "kb")
    edit(claims_file(dated_checkout), 'changed = "2026-12-01"\n', "")
    failed = ekb("check", "--since", "HEAD", "--kb", kb)
    assert failed.returncode == 1
    assert failed.stderr.splitlines() == [
        f"{MEHRA}: changed removed, but 2026-12-01 at the revision "
        "(a date never moves back: put it back)",
        "Error: the changed date of 1 claim moved back since HEAD; put it back",
    ]
    edit(
        claims_file(dated_checkout),
        "source_line = 2\n",
        'source_line = 2\nchanged = "2026-11-25"\n',
    )
    assert ekb("check", "--since", "HEAD", "--kb", kb).stderr.splitlines()[0] == (
        f"{MEHRA}: changed 2026-11-25, but 2026-12-01 at the revision "
        "(a date never moves back: put it back)"
    )
    edit(claims_file(dated_checkout), 'changed = "2026-11-25"', 'changed = "2026-12-01"')
    assert ekb("check", "--since", "HEAD", "--kb", kb).returncode == 0
