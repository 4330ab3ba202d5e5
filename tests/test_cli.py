"""The `ekb` command line: exact output, exact errors, exit codes, no tracebacks."""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from evidencekb.cli import EKB, Stopped, reported, started
from evidencekb.errors import UsageError
from evidencekb.terminal import terminal_safe
from fixtures import REPO, REPO_KB, ekb_here, reword, run_on_a_terminal

SEED_NAME = "000_7edb83ebcba9957e.txt"
# What a title, an id or a file can carry to take over a terminal: an OSC sequence
# that retitles the window and rings the bell, a CSI one that clears the screen, a
# C1 CSI (ESC [ in one code), a backspace.
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\x9b31m\x08"
# Any character a terminal acts on (bar line break and tab), bidi overrides included.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def ekb(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m evidencekb` as a user would, in a clean environment."""
    env = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR", "COLUMNS"}}
    result = subprocess.run(
        [sys.executable, "-m", "evidencekb", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_every_command_has_help() -> None:
    result = ekb("--help")
    assert result.returncode == 0
    for command in ("import", "check", "export", "show", "list", "build", "search", "serve"):
        assert command in result.stdout
        sub = ekb(command, "--help")
        assert sub.returncode == 0 and "Usage: ekb " + command in sub.stdout


def test_a_command_line_that_names_no_command(kb_dir: Path) -> None:
    bare = ekb()
    assert (bare.returncode, bare.stdout) == (2, "")
    assert bare.stderr.startswith("Usage: ekb COMMAND [ARGS]...\n")
    unknown = ekb("serach", "ketamine")
    assert (unknown.returncode, unknown.stderr) == (
        2,
        "Error: ekb: no command 'serach' (commands: import, init, check, changes, export, "
        "show, list, build, search, refs, serve)\n",
    )
    assert ekb("refs").stderr.startswith("Usage: ekb refs COMMAND [ARGS]...\n")


def test_check_ok(kb_dir: Path) -> None:
    result = ekb("check", "--kb", str(kb_dir))
    assert (result.returncode, result.stdout) == (0, f"{kb_dir}: OK (1 topic, 20 claims)\n")


def test_check_lists_each_problem_then_one_error_line(kb_dir: Path) -> None:
    claims = kb_dir / "topics/ketamine-pain/claims.toml"
    text = claims.read_text()
    section_line = text[: text.index('section = "research"')].count("\n") + 1
    citations_line = text[: text.index("citations = [2, 3]")].count("\n") + 1
    text = text.replace('section = "research"', 'section = "results"', 1)
    text = text.replace("citations = [2, 3]", 'citations = ["two"]', 1)
    claims.write_text(text)
    result = ekb("check", "--kb", str(kb_dir))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[-1] == "Error: 2 problems found"
    assert lines[0] == (
        f"{claims}:{section_line}: unknown section 'results'; allowed: guidelines, research"
    )
    assert lines[1] == (
        f"{claims}:{citations_line}: field 'citations' must be a list of whole numbers, "
        'like [2, 4]; "two" is not a whole number'
    )


def test_export_json_lists_the_seed_claims(repo_kb: Path) -> None:
    result = ekb("export", "--format", "json", "--kb", str(repo_kb))
    claims = json.loads(result.stdout)
    assert len(claims) == 20
    assert {"id", "topic", "section", "heading", "text", "citations", "strength"} <= set(claims[0])
    assert claims[13]["text"].endswith("although the evidence is moderate to weak.")
    assert claims[13]["citations"] == [4]
    assert (claims[13]["strength"], claims[13]["strength_method"]) == ("low", "stated")
    assert claims[13]["strength_basis"] == "the evidence is moderate to weak"
    assert all(c["strength_basis"] for c in claims)


def test_export_csv_and_text(repo_kb: Path, seed_text: str) -> None:
    rows = list(
        csv.DictReader(io.StringIO(ekb("export", "--format", "csv", "--kb", str(repo_kb)).stdout))
    )
    assert len(rows) == 20 and rows[11]["citations"] == "2; 3"
    text = ekb("export", "--format", "text", "--topic", "ketamine-pain", "--kb", str(repo_kb))
    assert text.stdout.splitlines() == [line.rstrip() for line in seed_text.splitlines()]


def test_export_unknown_topic_and_format(repo_kb: Path) -> None:
    result = ekb("export", "--topic", "nope", "--kb", str(repo_kb))
    assert (result.returncode, result.stderr) == (
        1,
        "Error: no topic 'nope'; topics: ketamine-pain\n",
    )
    result = ekb("export", "--format", "xml", "--kb", str(repo_kb))
    assert (result.returncode, result.stderr) == (
        2,
        "Error: ekb export: argument --format: invalid choice: 'xml' (choose from 'json', "
        "'csv', 'text', 'csl-json', 'ris', 'bibtex', 'fhir') (see `ekb export --help`)\n",
    )


def test_show(repo_kb: Path) -> None:
    result = ekb("show", "ketamine-pain-4e90786c", "--kb", str(repo_kb))
    assert result.returncode == 0
    assert "Cited works: none: the source gives no citation for this statement" in result.stdout
    details = json.loads(
        ekb("show", "ketamine-pain-6927e12e", "--json", "--kb", str(repo_kb)).stdout
    )
    assert details["references"] == [
        {
            "topic": "ketamine-pain", "number": 1, "type": None, "design": [], "title": None,
            "authors": [],
            "year": None, "journal": None, "volume": None, "issue": None, "pages": None,
            "doi": None, "pmid": None, "pmcid": None, "url": None, "citation_text": None,
            "mark": None, "notices": [],
        }
    ]  # fmt: skip
    assert details["strength_title"] == "Not stated"
    missing = ekb("show", "ketamine-pain-4e90786x", "--kb", str(repo_kb))
    assert (missing.returncode, missing.stderr) == (
        1,
        "Error: no claim 'ketamine-pain-4e90786x'; did you mean 'ketamine-pain-4e90786c', "
        "'ketamine-pain-cfe9e643' or 'ketamine-pain-beeb7c80'? (`ekb list` lists the ids)\n",
    )
    assert ekb("show", "zzz", "--kb", str(repo_kb)).stderr == (
        "Error: no claim 'zzz'; `ekb list` lists the ids\n"
    )


def test_show_puts_the_evidence_first(repo_kb: Path) -> None:
    result = ekb("show", "8008e692", "--kb", str(repo_kb))
    assert result.returncode == 0
    assert result.stdout == (
        "ketamine-pain-8008e692\n"
        "Ketamine for pain management — From the Research: Efficacy of Ketamine in Pain\n"
        "Management\n"
        "\n"
        "Evidence:    No cited work's finding recorded (1 cited work)\n"
        "\n"
        "Ketamine has been shown to have efficacy in treating central pain, complex\n"
        "regional pain syndromes, fibromyalgia, and ischemic pain, although the evidence\n"
        "is moderate to weak.\n"
        "\n"
        'Strength:    Low, stated by the source: "the evidence is moderate to weak"\n'
        "Source:      000_7edb83ebcba9957e.txt, line 20\n"
        "Dates:       Date added not recorded\n"
        "Categories:  Efficacy\n"
        "Entities:    Ketamine, Central pain, Complex regional pain syndrome,\n"
        "             Fibromyalgia, Ischemic pain\n"
        "\n"
        "Cited works:\n"
        "  [4] the source gives only the number; no bibliographic details are known\n"
        "    Stance of the cited work: not recorded (nobody has recorded what this work\n"
        "      says of the claim)\n"
    )
    prefix = ekb("show", "ketamine-pain-8008", "--kb", str(repo_kb))
    assert prefix.stdout == result.stdout
    many = ekb("show", "ketamine-pain-4", "--kb", str(repo_kb))
    assert many.stderr == (
        "Error: 'ketamine-pain-4' begins 4 claims' ids (ketamine-pain-4e90786c, "
        "ketamine-pain-429127e2, ketamine-pain-4171f3f1, ketamine-pain-4c6e89c4); "
        "give more of the id\n"
    )


def test_show_gives_each_cited_works_stance_and_quotations(evidence_kb: Path) -> None:
    result = ekb("show", "scifact-2", "--kb", str(evidence_kb))
    assert result.stdout == (
        "scifact-2\n"
        "SciFact sample — From the Research\n"
        "\n"
        "Evidence:    \u26a0 Cited work contradicts\n"
        "\n"
        "1 in 5 million in UK have abnormal PrP positivity.\n"
        "\n"
        "Strength:    Not stated by the source\n"
        "             Derived: the source does not grade this evidence. A claim from\n"
        "             claims_train.jsonl; it cites source 13734012.\n"
        "Source:      claims_train.jsonl, line 2\n"
        "Dates:       Date added not recorded\n"
        "Categories:  none\n"
        "Entities:    none\n"
        "\n"
        "Cited works:\n"
        "  [13734012] Prevalent abnormal prion protein in human appendixes after bovine\n"
        "    spongiform encephalopathy epizootic: large scale survey\n"
        "    Stance of the cited work: Contradicts\n"
        '    Sentence 5: "RESULTS Of the 32,441 appendix samples 16 were positive for\n'
        "      abnormal PrP, indicating an overall prevalence of 493 per million\n"
        '      population (95% confidence interval 282 to 801 per million)."\n'
    )
    contested = ekb("show", "scifact-11", "--kb", str(evidence_kb)).stdout.splitlines()
    assert contested[3:6] == [  # what the cited works found, first
        "Evidence:    \u26a0 No cited work's finding recorded (1 cited work)",
        "             Contested: a curator links a contradicting claim",
        "",
    ]
    assert "Related:     this claim contradicts scifact-10 (a curator's link)" in contested
    details = json.loads(ekb("show", "scifact-2", "--json", "--kb", str(evidence_kb)).stdout)
    assert details["verdict"]["text"] == (
        "Cited work contradicts · Strength: not stated by the source"
    )


def test_list_names_every_claim(repo_kb: Path) -> None:
    lines = ekb("list", "--kb", str(repo_kb)).stdout.splitlines()
    assert lines[0] == "Ketamine for pain management (ketamine-pain): 20 claims"
    # The seed records no stance: every claim says so before its words.
    assert lines[1] == "  ketamine-pain-6927e12e  No cited work's finding recorded: Ketamine is a…"
    assert (
        lines[2]
        == "  ketamine-pain-4e90786c  No work cited: Ketamine has demonstrated efficacy in…"
    )
    assert len(lines) == 21 and all(len(line) <= 80 for line in lines)
    assert ekb("list", "--topic", "nope", "--kb", str(repo_kb)).stderr == (
        "Error: no topic 'nope'; topics: ketamine-pain\n"
    )


def test_an_empty_reference_export_says_why(repo_kb: Path) -> None:
    result = ekb("export", "--format", "ris", "--topic", "ketamine-pain", "--kb", str(repo_kb))
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "",
        "Note: no reference of topic ketamine-pain is known beyond its number, so the ris "
        "export holds none; `ekb refs import` adds what a reference manager knows of them\n",
    )
    assert ekb("export", "--format", "json", "--kb", str(repo_kb)).stderr == ""


def test_list_leads_a_claim_not_to_take_for_fact_with_its_finding(evidence_kb: Path) -> None:
    lines = ekb("list", "--kb", str(evidence_kb), "--topic", "scifact-sample").stdout
    assert lines.splitlines()[1:] == [
        "  scifact-2  \u26a0 contradicted: 1 in 5 million in UK have abnormal PrP positivity.",
        "  scifact-10  \u26a0 contested: 4-PBA treatment decreases endoplasmic reticulum…",
        "  scifact-11  \u26a0 contested: 4-PBA treatment raises endoplasmic reticulum stress…",
    ]


def test_list_says_what_the_cited_works_found_however_narrow(kb_dir: Path) -> None:
    # Retraction Watch's notices, recorded as `ekb refs retractions` records them.
    from evidencekb.kb import load_kb
    from evidencekb.kb.show import claim_list
    from fixtures import add_retracted_sample

    add_retracted_sample(kb_dir)
    topics = {t.slug: t for t in load_kb(kb_dir).topics}
    narrow = claim_list((topics["retracted-sample"],), width=20)
    assert narrow.splitlines()[1:] == [
        "  retracted-sample-e0fdfc19  \u26a0 reference 1 retracted: W…",
        "  retracted-sample-0b419dba  \u26a0 reference 2 retracted: W…",
    ]
    seed = claim_list((topics["ketamine-pain"],), width=200).splitlines()[1:]
    said = ("No cited work's finding recorded: ", "No work cited: ")
    assert len(seed) == 20 and all(any(s in line for s in said) for line in seed)


def test_import_errors(empty_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "s.txt"
    source.write_text("Title\nIntro.\nFrom the Research\n- \n", encoding="utf-8")
    result = ekb("import", str(source), "--topic", "t", "--kb", str(empty_kb))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f'{source}:2: text before the first part heading; a summary starts with "From the '
        'Guidelines" or "From the Research"',
        f"{source}:4: empty bullet: write the statement after it",
        "Error: 2 problems found",
    ]
    missing = ekb("import", str(tmp_path / "none.txt"), "--topic", "t", "--kb", str(empty_kb))
    assert missing.stderr == f"Error: {tmp_path / 'none.txt'}: file not found\n"
    usage = ekb("import", str(source), "--kb", str(empty_kb))
    assert (usage.returncode, usage.stderr) == (
        2,
        "Error: ekb import: the following arguments are required: --topic "
        "(see `ekb import --help`)\n",
    )


def test_import_layouts_parts_and_titles(empty_kb: Path) -> None:
    summaries = Path(__file__).parent / "data" / "summaries"
    article = summaries / "ketamine-pain-guidelines.txt"
    kb = ("--kb", str(empty_kb))
    refused = ekb("import", str(article), "--topic", "a", *kb)
    assert (refused.returncode, refused.stderr.splitlines()) == (
        1,
        [
            f'{article}:1: no part heading ("From the Guidelines" or "From the Research"): '
            "pass --section guidelines or --section research to import the summary as one part",
            "Error: 1 problem found",
        ],
    )
    wrong = ekb("import", str(article), "--topic", "a", "--section", "both", *kb)
    assert (wrong.returncode, wrong.stderr) == (
        2,
        "Error: ekb import: argument --section: invalid choice: 'both' (choose from "
        "'guidelines', 'research') (see `ekb import --help`)\n",
    )
    mixed = ekb("import", str(article), "--topic", "a", "--format", "claims-jsonl",
                "--section", "research", *kb)  # fmt: skip
    assert mixed.stderr == "Error: --section and --layout are for --format summary\n"
    done = ekb("import", str(article), "--topic", "a", "--section", "guidelines", *kb)
    assert done.stdout == (
        f"Created {empty_kb}/topics/a: 10 claims citing 1 source. "
        "Curate it, then run `ekb check`.\n"
    )
    markdown = summaries / "ketamine-pain.md"
    assert ekb("import", str(markdown), "--topic", "m", *kb).returncode == 0
    assert ekb("check", *kb).stdout == f"{empty_kb}: OK (2 topics, 30 claims)\n"
    exported = ekb("export", "--format", "text", "--topic", "m", *kb).stdout
    assert exported == markdown.read_text(encoding="utf-8")
    topic = (empty_kb / "topics" / "m" / "topic.toml").read_text(encoding="utf-8")
    assert topic.splitlines()[0] == 'title = "Ketamine for pain management"'


def test_import_then_check(empty_kb: Path, seed_text: str, tmp_path: Path) -> None:
    source = tmp_path / SEED_NAME
    source.write_text(seed_text, encoding="utf-8")
    result = ekb("import", str(source), "--topic", "ketamine-pain", "--kb", str(empty_kb))
    assert result.returncode == 0
    assert result.stdout == (
        f"Created {empty_kb}/topics/ketamine-pain: 20 claims citing 6 sources. "
        "Curate it, then run `ekb check`.\n"
    )
    again = ekb("import", str(source), "--topic", "ketamine-pain", "--kb", str(empty_kb))
    assert again.stderr == (
        f"Error: {empty_kb}/topics/ketamine-pain already exists; pass --replace to overwrite it\n"
    )
    assert ekb("check", "--kb", str(empty_kb)).returncode == 0


def test_kb_defaults_to_the_working_folder(kb_dir: Path) -> None:
    result = ekb("check", cwd=kb_dir.parent)
    assert result.stdout == "kb: OK (1 topic, 20 claims)\n"


def test_the_collector_paused_at_start_up_runs_for_the_commands_work(kb_dir: Path) -> None:
    """`ekb` starts with the garbage collector paused (`__main__`); a command's work,
    a build of millions of objects, must not go on without it."""
    script = (
        "import gc, sys\n"
        "from evidencekb.__main__ import main\n"
        "sys.argv = ['ekb', *sys.argv[1:]]\n"
        "main()\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "check", "--kb", str(kb_dir)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines() == [f"{kb_dir}: OK (1 topic, 20 claims)", "True True"]


def test_a_check_in_another_programs_process_leaves_nothing_frozen(kb_dir: Path) -> None:
    """`ekb check` freezes the kb it loads for as long as it runs (workers.made_to_last),
    and gives it back to the collector after."""
    assert gc.get_freeze_count() == 0
    result = ekb_here("check", "--kb", str(kb_dir))
    assert (result.exit_code, result.stdout) == (0, f"{kb_dir}: OK (1 topic, 20 claims)\n")
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_ekb_serve_leaves_its_builds_nothing_frozen_from_start_up() -> None:
    """A server builds again and again; a build unfreezes what it froze only when
    nothing was frozen before it (workers.frozen_heap). So the one command that lasts
    resumes the collector without freezing what start-up loaded."""
    assert [command.name for command in EKB.commands if command.lasting] == ["serve"]
    gc.disable()
    try:
        started(freeze=False)
        assert gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()
        gc.unfreeze()


def test_an_output_that_cannot_write_a_character_is_one_error_line(
    repo_kb: Path, tmp_path: Path
) -> None:
    """An output set to ASCII (PYTHONIOENCODING, an old locale) gets an `Error:`
    line that says what to set, not a traceback."""
    done = subprocess.run(
        [sys.executable, "-m", "evidencekb", "search", "--kb", str(repo_kb),
         "--site-dir", str(tmp_path / "site"), "--limit", "1", "ketamine"],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
    )  # fmt: skip
    assert (done.returncode, done.stderr.splitlines()[-1]) == (
        1,
        "Error: standard output is in ascii, which cannot write '\\xb7': "
        "set PYTHONIOENCODING=utf-8",
    )
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("stop", "status", "line"),
    [
        (KeyboardInterrupt(), 130, "Error: interrupted\n"),
        (Stopped(signal.SIGTERM), 143, "Error: stopped by SIGTERM\n"),
        (UsageError("ekb: no command 'x'"), 2, "Error: ekb: no command 'x'\n"),
    ],
)
def test_ctrl_c_a_signal_or_a_usage_error_anywhere_in_a_command_is_one_line(
    stop: BaseException, status: int, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dispatch` parses the words and runs the command inside `reported`: a stop
    while the words are parsed is reported as one during the command's work."""
    with pytest.raises(SystemExit) as done, reported():
        raise stop
    assert (done.value.code, capsys.readouterr().err) == (status, line)


@pytest.mark.parametrize("command", ["check", "export", "build"])
def test_missing_kb_folder(tmp_path: Path, command: str) -> None:
    result = ekb(command, "--kb", str(tmp_path / "none"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"{tmp_path}/none:1: knowledge base folder not found; pass --kb DIR"
    )


def test_kb_reading_never_leaves_kb_nor_hangs(kb_dir: Path, tmp_path: Path) -> None:
    overview = kb_dir / "topics/ketamine-pain/overview.md"
    overview.unlink()
    overview.symlink_to("/etc/passwd")
    os.mkfifo(kb_dir / "notes")
    expected = [
        f"{kb_dir}/notes:1: is a FIFO (named pipe); kb/ may hold only regular files and folders",
        f"{overview}:1: is a symbolic link to /etc/passwd, outside the knowledge base folder; "
        "kb/ may link only to files inside it",
        "Error: 2 problems found",
    ]
    site = tmp_path / "site"
    for args in (["check"], ["build", "--site-dir", str(site)]):
        result = ekb(*args, "--kb", str(kb_dir))
        assert (result.returncode, result.stderr.splitlines()) == (1, expected)
    search = ekb("search", "ketamine", "--kb", str(kb_dir), "--site-dir", str(site))
    assert (search.returncode, search.stderr.splitlines()[-3:]) == (1, expected)
    assert not site.exists()


def test_import_refuses_before_writing(empty_kb: Path, tmp_path: Path) -> None:
    source = tmp_path / "s.txt"
    source.write_text("From the Research\nH\n- A finding [0].\n- Another [2][2].\n")
    result = ekb("import", str(source), "--topic", "t", "--kb", str(empty_kb))
    assert (result.returncode, result.stderr.splitlines()) == (
        1,
        [
            f"{source}:3: citation number 0 must be 1 or more",
            f"{source}:4: a citation number is listed twice",
            "Error: 2 problems found",
        ],
    )
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    hung = ekb("import", str(fifo), "--topic", "t", "--kb", str(empty_kb))
    assert hung.stderr == f"Error: {fifo}: is a FIFO (named pipe), not a regular file\n"
    title = ekb("import", str(source), "--topic", "t", "--title", "   ", "--kb", str(empty_kb))
    assert title.stderr == "Error: --title is empty\n"
    assert list((empty_kb / "topics").iterdir()) == []


def test_values_echoed_in_errors_cannot_drive_the_terminal(kb_dir: Path, tmp_path: Path) -> None:
    claim = ekb("show", f"ketamine{HOSTILE}", "--kb", str(kb_dir))
    assert claim.returncode == 1
    assert claim.stderr.startswith(
        "Error: no claim 'ketamine\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\\u0008'"
    )
    folder = tmp_path / f"kb{HOSTILE}"
    missing = ekb("export", "--kb", str(folder))
    assert missing.stderr.splitlines()[0] == (
        f"{terminal_safe(str(folder))}:1: knowledge base folder not found; pass --kb DIR"
    )
    # A reference file's title, shown as a change or quoted in an error.
    ris = tmp_path / "cohen.ris"
    title = "Consensus Guidelines on the Use of Intravenous Ketamine Infusions for Chronic Pain"
    record = "TY  - JOUR\nID  - 1\nTI  - {title}\nPY  - 2018\nER  - \n"
    refs = []
    for hostile in (HOSTILE, " \u202eX\u202c"):  # a bidi override closed is accepted
        ris.write_text(record.format(title=title + hostile), encoding="utf-8")
        args = ["--topic", "ketamine-pain", "--kb", str(kb_dir), "--dry-run"]
        refs.append(ekb("refs", "import", str(ris), *args))
    assert f'add title = "{title} \\u202eX\\u202c"' in refs[1].stdout
    for result in (claim, missing, *refs):
        assert not RAW_CONTROL.search(result.stdout + result.stderr), result


def test_a_bidi_override_in_a_claim_is_printed_escaped_and_exported_exactly(
    kb_dir: Path, tmp_path: Path
) -> None:
    """kb/ refuses control codes in a claim, and a bidi override left open (kb/text.py),
    but not one closed in the claim, which still shows the text between reversed:
    every printer escapes it."""
    claims = tomllib.loads((kb_dir / "topics/ketamine-pain/claims.toml").read_text("utf-8"))
    claim = next(c for c in claims["claim"] if "laryngospasm" in c["text"])
    reword(kb_dir, "nightmares, and laryngospasm", "nightmares, and \u202elaryngospasm\u202c")
    site = tmp_path / "site"
    where = ["--kb", str(kb_dir)]
    shown = ekb("show", claim["id"], *where)
    details = ekb("show", claim["id"], "--json", *where)
    found = ekb("search", "laryngospasm", "--site-dir", str(site), *where)
    listed = ekb("search", "laryngospasm", "--json", "--site-dir", str(site), *where)
    exported = ekb("export", "--format", "text", *where)
    for result in (shown, details, found, listed):
        assert result.returncode == 0, result.stderr
        assert not RAW_CONTROL.search(result.stdout), result.stdout
        assert "and \\u202elaryngospasm\\u202c" in result.stdout
    assert json.loads(details.stdout)["text"].endswith("and \u202elaryngospasm\u202c.")
    assert json.loads(listed.stdout)[0]["text"].endswith("and \u202elaryngospasm\u202c.")
    assert "and \u202elaryngospasm" in exported.stdout  # into a file or program: exact
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    for args in (
        ["search", "laryngospasm", "--site-dir", str(site), *where],  # in colour
        ["export", "--format", "text", *where],
    ):
        on_screen = run_on_a_terminal(args, env)
        assert "\u202e" not in on_screen and "laryngospasm" in on_screen
        assert "\\u202e" in on_screen


def test_init_starts_a_knowledge_base_that_checks_and_builds(tmp_path: Path) -> None:
    folder = tmp_path / "newkb"
    result = ekb("init", str(folder))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        f"Created {folder}/: README.md, stance.toml, strength.md, strength.toml, "
        "vocabulary/categories.toml, vocabulary/entities.toml, topics/."
    )
    # The schemes are the repository's own, byte for byte.
    for name in ("strength.toml", "strength.md", "stance.toml"):
        assert (folder / name).read_bytes() == (REPO_KB / name).read_bytes()
    assert ekb("check", "--kb", str(folder)).stdout == f"{folder}: OK (0 topics, 0 claims)\n"
    built = ekb("build", "--kb", str(folder), "--site-dir", str(tmp_path / "site"))
    assert built.returncode == 0, built.stderr
    again = ekb("init", str(folder))
    assert (again.returncode, again.stderr) == (
        1,
        f"Error: {folder} is not empty; ekb init starts a knowledge base in a new or empty "
        "folder\n",
    )
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert ekb("init", str(tmp_path / "file")).stderr == (
        f"Error: {tmp_path / 'file'} is not a folder; give a new folder for the knowledge base\n"
    )


def test_make_test_goes_on_without_npm_outside_ci_only(tmp_path: Path) -> None:
    """A machine without npm skips the browser tests that need axe-core; CI must fail."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make on this machine")
    for name in ("Makefile", "package.json", "package-lock.json"):
        shutil.copy(REPO / name, tmp_path / name)
    bare = {"PATH": str(tmp_path / "no-such-folder")}
    outside = subprocess.run(
        [make, "node-deps"], cwd=tmp_path, env=bare, capture_output=True, text=True
    )
    assert outside.returncode == 0
    assert outside.stdout.startswith("npm not found: skipping axe-core")
    inside = subprocess.run(
        [make, "node-deps"], cwd=tmp_path, env=bare | {"CI": "true"}, capture_output=True
    )
    assert inside.returncode != 0


def test_make_site_says_how_to_open_the_site() -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make on this machine")
    dry = subprocess.run([make, "-n", "site"], cwd=REPO, capture_output=True, text=True)
    assert f"Open file://{REPO}/site/index.html in a browser" in dry.stdout
