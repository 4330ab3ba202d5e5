"""`ekb search` from the command line: output, JSON, errors, colour, freshness, start-up."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from evidencekb.search.query import FIELDS
from fixtures import Ran, ekb_here, run_on_a_terminal

ANSI = "\x1b["


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    return tmp_path / "site"


def ekb(kb_dir: Path, site_dir: Path, *args: str) -> Ran:
    base = ["search", "--kb", str(kb_dir), "--site-dir", str(site_dir)]
    return ekb_here(*base, *args)


def test_first_search_builds_the_index_and_says_so(kb_dir: Path, site_dir: Path) -> None:
    result = ekb(kb_dir, site_dir, "laryngospasm")
    assert result.exit_code == 0
    # Beside the site folder, never in it: a static host publishes the site.
    index = site_dir.parent / ".site.ekb-index"
    assert result.stderr == f"no search index at {index}; building it…\n"
    again = ekb(kb_dir, site_dir, "laryngospasm")
    assert again.stderr == ""
    assert again.stdout == result.stdout


def test_human_output(kb_dir: Path, site_dir: Path) -> None:
    result = ekb(kb_dir, site_dir, "fibromyalgia", "ischemic")
    assert result.exit_code == 0
    assert result.stdout == (
        "1. ketamine-pain-8008e692  research > Efficacy of Ketamine in Pain Management\n"
        "   Evidence: No cited work's finding recorded (1 cited work) · Strength: low,\n"
        '   stated by the source: "the evidence is moderate to weak"\n'
        "   Ketamine has been shown to have efficacy in treating central pain, complex\n"
        "   regional pain syndromes, fibromyalgia, and ischemic pain, although the\n"
        "   evidence is moderate to weak.\n"
        "   Citations: 4\n"
        "2. ketamine-pain-4e90786c  guidelines > Key Points to Consider\n"
        "   Evidence: No work cited · Strength: not stated by the source\n"
        "   Ketamine has demonstrated efficacy in managing various pain syndromes,\n"
        "   including complex regional pain syndrome (CRPS), fibromyalgia, neuropathic\n"
        "   pain, and pain with significant central sensitization components.\n"
        "   Citations: none\n"
        "\n"
        "2 claims match (showing 2) · guidelines 1, research 1 · strength: low 1,\n"
        "not-stated 1\n"
    )
    assert ANSI not in result.stdout  # not a terminal: no colour


def test_output_wraps_to_the_terminals_width(
    kb_dir: Path, site_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    result = ekb(kb_dir, site_dir, "ischemic")
    assert result.stdout.splitlines()[:4] == [
        "1. ketamine-pain-8008e692  research > Efficacy of",
        "   Ketamine in Pain Management",
        "   Evidence: No cited work's finding recorded (1",
        "   cited work) · Strength: low, stated by the",
    ]
    assert max(len(line) for line in result.stdout.splitlines()) <= 50


def test_a_contradicted_claim_says_so_beside_it(evidence_kb: Path, site_dir: Path) -> None:
    result = ekb(evidence_kb, site_dir, "PrP", "positivity")
    assert result.stdout == (
        "1. scifact-2  research\n"
        " \u26a0 Evidence: Cited work contradicts · Strength: not stated by the source\n"
        "   1 in 5 million in UK have abnormal PrP positivity.\n"
        "   Citations: 13734012\n"
        "\n"
        "1 claim matches (showing 1) · research 1 · strength: not-stated 1\n"
    )
    items = json.loads(ekb(evidence_kb, site_dir, "--json", "PrP").stdout)
    assert items[0]["verdict"]["finding"] == "Cited work contradicts"
    assert items[0]["verdict"]["contradicted"] is True


def test_no_claim_with_every_word_is_said(kb_dir: Path, site_dir: Path) -> None:
    result = ekb(kb_dir, site_dir, "laryngospasm", "fibromyalgia")
    assert result.stdout.splitlines()[0] == (
        "No claim has all the words; showing claims with any of them."
    )
    assert "has all the words" not in ekb(kb_dir, site_dir, "fibromyalgia").stdout


def test_no_results_name_the_filters(kb_dir: Path, site_dir: Path) -> None:
    result = ekb(kb_dir, site_dir, "--section", "research", "--strength", "high", "ketamine")
    assert result.stdout == (
        'No claims match "ketamine" with --section research, --strength high.\n'
    )
    assert ekb(kb_dir, site_dir, "zzzzzzzz").stdout == 'No claims match "zzzzzzzz".\n'


def test_json_output_has_the_export_keys_plus_score_and_highlights(
    kb_dir: Path, site_dir: Path
) -> None:
    exported = ekb_here("export", "--format", "json", "--kb", str(kb_dir))
    export_keys = list(json.loads(exported.stdout)[0])
    result = ekb(kb_dir, site_dir, "--json", "CRPS")
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    assert len(items) == 2
    for item in items:
        assert list(item) == [
            *export_keys,
            "score",
            "highlighted",
            "highlights",
            "corrected_query",
        ]
        assert isinstance(item["score"], float) and item["score"] > 0
        assert item["corrected_query"] is None
        for start, end in item["highlights"]:
            assert f"<mark>{item['text'][start:end]}</mark>" in item["highlighted"]
    assert (
        "<mark>complex regional pain syndrome</mark> (<mark>CRPS</mark>)" in items[0]["highlighted"]
    )
    exported_by_id = {c["id"]: c for c in json.loads(exported.stdout)}
    assert {k: items[0][k] for k in export_keys} == exported_by_id[items[0]["id"]]


def test_json_says_what_the_query_was_corrected_to(kb_dir: Path, site_dir: Path) -> None:
    result = ekb(kb_dir, site_dir, "--json", "laryngospsm")
    items = json.loads(result.stdout)
    assert len(items) == 1
    assert items[0]["corrected_query"] == "laryngospasm"


def test_json_of_a_query_with_bytes_not_utf8_stays_utf8(kb_dir: Path, site_dir: Path) -> None:
    # A byte that is not UTF-8 in an argument (a Latin-1 terminal's "é") reaches the
    # query as a lone surrogate; written raw, the corrected query was not UTF-8.
    result = ekb(kb_dir, site_dir, "--json", "laryngospsm \udce9")
    items = json.loads(result.stdout.encode("utf-8"))
    assert items[0]["corrected_query"] == "laryngospasm \udce9"


def test_did_you_mean(kb_dir: Path, site_dir: Path) -> None:
    result = ekb(kb_dir, site_dir, "benzodiazapines")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == 'Did you mean "benzodiazepines"? Showing results for it.'
    assert "the use of benzodiazepines" in " ".join(result.stdout.split())


def test_json_html_in_claim_text_is_escaped(
    kb_dir: Path, site_dir: Path, reword: Callable[[Path, str, str], None]
) -> None:
    reword(kb_dir, "and laryngospasm", "and <b>laryngospasm</b>")
    items = json.loads(ekb(kb_dir, site_dir, "--json", "laryngospasm").stdout)
    assert "&lt;b&gt;<mark>laryngospasm</mark>&lt;/b&gt;" in items[0]["highlighted"]


@pytest.mark.parametrize(
    ("options", "check"),
    [
        (["--section", "research"], lambda c: c["section"] == "research"),
        (["--strength", "low"], lambda c: c["strength"] == "low"),
        (["--cites", "2"], lambda c: 2 in c["citations"]),
        (["--topic", "ketamine-pain"], lambda c: c["topic"] == "ketamine-pain"),
        (["--category", "adverse-effects"], lambda c: "adverse-effects" in c["categories"]),
    ],
)
def test_every_filter_option(kb_dir: Path, site_dir: Path, options: list[str], check) -> None:  # type: ignore[no-untyped-def]
    everything = json.loads(ekb(kb_dir, site_dir, "--json", "--limit", "50", "ketamine").stdout)
    result = ekb(kb_dir, site_dir, "--json", "--limit", "50", *options, "ketamine")
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    assert 0 < len(items) <= len(everything)
    assert all(check(item) for item in items)
    assert len(items) == sum(1 for item in everything if check(item))


def test_limit(kb_dir: Path, site_dir: Path) -> None:
    result = ekb(kb_dir, site_dir, "--limit", "3", "ketamine")
    assert [line[:3] for line in result.stdout.splitlines() if line[:1].isdigit()][:4] == [
        "1. ",
        "2. ",
        "3. ",
        "20 ",
    ]
    assert result.stdout.split("\n\n")[-1].startswith("20 claims match (showing 3)")


def test_field_queries_and_operators(kb_dir: Path, site_dir: Path) -> None:
    def found(query: str) -> set[str]:
        result = ekb(kb_dir, site_dir, "--json", "--limit", "50", query)
        assert result.exit_code == 0, result.output
        return {item["id"] for item in json.loads(result.stdout)}

    research, guidelines = found("section:research"), found("section:guidelines")
    assert len(research) == len(guidelines) == 10
    assert found("ketamine NOT section:research") == guidelines
    assert found("section:research OR section:guidelines") == research | guidelines
    assert found("cites:2 AND cites:4") == found('"risks and costs"')
    assert found("entity:nmda-receptor") == found("NMDA")
    dosing, low = found("category:dosing"), found("strength:low")
    assert dosing and low
    assert found("category:dosing strength:low") == dosing & low
    assert found("category:dosing OR strength:low") == dosing | low


def test_no_result_is_a_message_and_success(kb_dir: Path, site_dir: Path) -> None:
    result = ekb(kb_dir, site_dir, "xylophone")
    assert result.exit_code == 0
    assert result.stdout == 'No claims match "xylophone".\n'
    assert json.loads(ekb(kb_dir, site_dir, "--json", "xylophone").stdout) == []


@pytest.mark.parametrize("query", ["what does it do", "the", "NOT the", "4-6", "text:of"])
def test_a_query_of_only_unsearched_words_says_so(kb_dir: Path, site_dir: Path, query: str) -> None:
    # As the site's search page says it (search.js): not "No claims match".
    result = ekb(kb_dir, site_dir, "--", query)
    assert (result.exit_code, result.stdout) == (
        0,
        "Type a more specific word: very common words such as \u201cthe\u201d are not searched.\n",
    )
    assert ekb(kb_dir, site_dir, "?").stdout == 'No claims match "?".\n'


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('ketamine "dose', 'Error: unclosed quote (") at character 10; close it or remove it\n'),
        ("(ketamine OR", "Error: OR at character 11 needs a term after it\n"),
        ("ketamine))", "Error: unmatched ')' at character 9\n"),
        (
            "dose:high",
            'Error: unknown field "dose:" at character 1 (fields: author, category, '
            "changed, cites, contested, design, doi, entity, heading, id, journal, notice, pmid, "
            "section, stance, "
            "strength, text, topic, year)\n",
        ),
    ],
)
def test_an_unparsable_query_is_one_line_and_exit_2(
    kb_dir: Path, site_dir: Path, query: str, message: str
) -> None:
    result = ekb(kb_dir, site_dir, query)
    assert result.exit_code == 2
    assert result.stderr.endswith(message)
    assert result.stdout == ""


def test_bad_option_values(kb_dir: Path, site_dir: Path) -> None:
    result = ekb(kb_dir, site_dir, "--strength", "strong", "ketamine")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        'Error: unknown strength "strong" (allowed: high, moderate, low, very-low, not-stated)'
    )
    for option in ("--limit", "--cites"):
        result = ekb(kb_dir, site_dir, option, "0", "ketamine")
        assert (result.exit_code, result.stderr) == (
            2,
            f"Error: ekb search: argument {option}: '0' is not a whole number, 1 or more "
            "(see `ekb search --help`)\n",
        )


def test_stance_and_contested_options(evidence_kb: Path, site_dir: Path) -> None:
    """On the seed plus the evidence sample: SciFact labels abstract 13734012 CONTRADICT
    for claim 2; a curator says claim 11 contradicts claim 10."""

    def found(*args: str) -> list[str]:
        result = ekb(evidence_kb, site_dir, "--json", "--limit", "100", *args)
        assert result.exit_code == 0, result.output
        return sorted(str(hit["id"]) for hit in json.loads(result.stdout))

    assert found("--stance", "contradicts", "PrP") == ["scifact-2"]
    assert found("--stance", "Contradicts", "PrP") == found("PrP stance:contradicts")
    assert found("--stance", "supports", "PrP") == []
    assert found("--contested", "yes", "stress") == ["scifact-10", "scifact-11"]
    assert found("--contested", "no", "stress") == []
    assert found("--contested", "no", "--stance", "not-stated", "ketamine") == found(
        "ketamine contested:no stance:not-stated"
    )
    result = ekb(evidence_kb, site_dir, "--stance", "agrees", "PrP")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        'Error: unknown stance "agrees" (allowed: contradicts, no-evidence, not-stated, supports)'
    )
    result = ekb(evidence_kb, site_dir, "--contested", "maybe", "PrP")
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (
        2,
        'Error: unknown contested "maybe" (allowed: yes, no)',
    )
    result = ekb(evidence_kb, site_dir, "year:2018..2015")
    assert (result.exit_code, result.stderr) == (
        2,
        "Error: year range 2018..2015 ends before it starts\n",
    )


def test_help_names_every_field_and_option() -> None:
    text = ekb_here("search", "--help").output
    for name in FIELDS:
        assert name in text, name
    for option in ("--stance", "--contested", "year:2008 or year:2015..2020"):
        assert option in text


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE claims; --",
        "<script>alert('x')</script>",
        "ケタミン 💊 naïve café",
        "\x1b[31mred\x1b[0m",
        '"""',
        "((((((((",
        ")",
        "AND OR NOT",
        "ketamine " * 1000,
        "a" * 5000,
        "section:",
        ":::",
        "\\",
    ],
)
def test_hostile_queries_never_raise_a_traceback(kb_dir: Path, site_dir: Path, query: str) -> None:
    result = ekb(kb_dir, site_dir, query)
    assert result.exit_code in (0, 2)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert [line[:7] for line in result.stderr.splitlines()].count("Error: ") == 1
    assert "\x1b[31m" not in result.stdout  # escape sequences are not echoed back


def test_a_kb_edit_is_found_after_an_announced_rebuild(
    kb_dir: Path, site_dir: Path, reword: Callable[[Path, str, str], None]
) -> None:
    assert ekb(kb_dir, site_dir, "laryngospasm").exit_code == 0
    reword(kb_dir, "and laryngospasm", "and bronchospasm")
    result = ekb(kb_dir, site_dir, "bronchospasm")
    assert result.exit_code == 0
    assert result.stderr == "kb/ changed since the last build; rebuilding the search index…\n"
    assert "nightmares, and bronchospasm." in result.stdout
    assert ekb(kb_dir, site_dir, "bronchospasm").stderr == ""


def test_an_invalid_kb_is_reported_not_searched(kb_dir: Path, site_dir: Path) -> None:
    assert ekb(kb_dir, site_dir, "ketamine").exit_code == 0
    claims = kb_dir / "topics" / "ketamine-pain" / "claims.toml"
    claims.write_text(claims.read_text("utf-8").replace('"guidelines"', '"appendix"'), "utf-8")
    result = ekb(kb_dir, site_dir, "ketamine")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("Error: ")


def test_a_missing_kb_is_an_error(tmp_path: Path, site_dir: Path) -> None:
    result = ekb(tmp_path / "nowhere", site_dir, "ketamine")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: no knowledge base folder at {tmp_path / 'nowhere'} (use --kb DIR)\n"
    )


def test_an_unwritable_site_folder_is_an_error(kb_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be", "utf-8")
    result = ekb(kb_dir, blocker / "site", "ketamine")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        f"Error: cannot write the search index at {blocker / '.site.ekb-index'}: Not a directory"
    )


def test_colour_only_on_a_terminal_and_never_with_no_color(kb_dir: Path, site_dir: Path) -> None:
    args = ["search", "--kb", str(kb_dir), "--site-dir", str(site_dir), "laryngospasm"]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    coloured = run_on_a_terminal(args, env)
    assert "\x1b[1;33mlaryngospasm\x1b[0m" in coloured
    plain = run_on_a_terminal(args, {**env, "NO_COLOR": "1"})
    assert ANSI not in plain
    assert "nightmares, and laryngospasm." in plain


def test_a_question_is_not_corrected(kb_dir: Path, site_dir: Path) -> None:
    result = ekb(kb_dir, site_dir, "does", "ketamine", "help", "neuropathic", "pain")
    assert result.exit_code == 0
    assert "Did you mean" not in result.stdout
    assert result.stdout.splitlines()[:2] == [
        "No claim has all the words; showing claims with any of them.",
        "1. ketamine-pain-cfe9e643  research > Efficacy of Ketamine in Pain Management",
    ]


@pytest.mark.parametrize("query", ["mechanism of action", "the mechanism of the action of"])
def test_a_vocabulary_name_with_a_stop_word_is_a_query(
    kb_dir: Path, site_dir: Path, query: str
) -> None:
    result = ekb(kb_dir, site_dir, query)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1. ketamine-pain-f3dfcb3e  research > Overview")


# Run as `ekb` runs: __main__.main, the collector paused from the first line.
AS_THE_PROGRAM = """
import gc, sys
from evidencekb.__main__ import main
sys.argv = ["ekb", *sys.argv[1:]]
try:
    main()
except SystemExit as stop:
    assert stop.code in (0, None), stop.code
import evidencekb.search.engine as engine
print(gc.isenabled(), gc.get_freeze_count() > 0, any(o is engine.search for o in gc.get_objects()))
"""


def test_the_program_loads_the_search_then_freezes_it_and_resumes_the_collector(
    kb_dir: Path, site_dir: Path
) -> None:
    """What start-up loaded, the search stage with it, is out of the collector's
    reach (it would trace it again and again, and free none of it); the collector
    runs for the command's own work."""
    assert ekb(kb_dir, site_dir, "CRPS").exit_code == 0  # the index, built first
    args = ["search", "--kb", str(kb_dir), "--site-dir", str(site_dir), "CRPS"]
    done = subprocess.run(
        [sys.executable, "-c", AS_THE_PROGRAM, *args], capture_output=True, text=True, check=True
    )
    assert "CRPS" in done.stdout
    assert done.stdout.splitlines()[-1] == "True True False"


def test_the_cli_in_another_programs_process_freezes_nothing(kb_dir: Path, site_dir: Path) -> None:
    """There the collector runs already: the command leaves it as it found it."""
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert ekb(kb_dir, site_dir, "CRPS").exit_code == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_search_of_an_empty_knowledge_base_finds_nothing(tmp_path: Path) -> None:
    """The index of a kb with no claim yet (just after `ekb init`) has no segment."""
    kb_dir, site_dir = tmp_path / "kb", tmp_path / "site"
    assert ekb_here("init", str(kb_dir)).exit_code == 0
    result = ekb(kb_dir, site_dir, "ketamine")
    assert (result.exit_code, result.stdout) == (0, 'No claims match "ketamine".\n')
    assert ekb(kb_dir, site_dir, "--json", "ketamine").stdout == "[]\n"


def test_a_phrase_after_not_excludes_the_claims_that_have_it(kb_dir: Path, site_dir: Path) -> None:
    """The excluded phrase is matched without scores (whoosh's boolean context)."""
    every = json.loads(ekb(kb_dir, site_dir, "--json", "--limit", "50", "pain").stdout)
    kept = json.loads(
        ekb(kb_dir, site_dir, "--json", "--limit", "50", 'pain NOT "neuropathic pain"').stdout
    )
    phrased = {claim["id"] for claim in every if "neuropathic pain" in claim["text"].lower()}
    kept_ids = [claim["id"] for claim in kept]
    assert phrased and kept_ids and not phrased & set(kept_ids)
    # The rest in the order `pain` alone ranks them (the phrase's synonyms and the
    # claims' headings and names are excluded too).
    assert kept_ids == [claim["id"] for claim in every if claim["id"] in kept_ids]
