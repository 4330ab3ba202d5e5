"""`ekb check`: every kind of fault, reported with its file, line and exact message."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evidencekb.errors import ValidationError
from evidencekb.kb.load import load_kb
from evidencekb.kb.text import control_fault
from fixtures import EVIDENCE_TOPIC, ekb_here

CLAIMS = "topics/ketamine-pain/claims.toml"


def problems(kb_dir: Path) -> list[str]:
    """Every problem as printed, with the kb folder prefix removed."""
    with pytest.raises(ValidationError) as caught:
        load_kb(kb_dir)
    return [str(p).removeprefix(f"{kb_dir}/") for p in caught.value.problems]


def edit(kb_dir: Path, relative: str, old: str, new: str, count: int = 1) -> int:
    """Replace `old` in a kb file and return the line the edit starts on."""
    path = kb_dir / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def test_the_repository_kb_is_valid(repo_kb: Path) -> None:
    kb = load_kb(repo_kb)
    assert len(kb.claims) == 20
    assert {c.strength_method for c in kb.claims} == {"stated", "derived"}


def test_syntax_error(kb_dir: Path) -> None:
    line = edit(kb_dir, CLAIMS, 'section = "guidelines"', 'section = "guidelines')
    assert problems(kb_dir) == [f"{CLAIMS}:{line}: TOML syntax error: Illegal character '\\n'"]


@pytest.mark.parametrize("name", [CLAIMS, "vocabulary/entities.toml", "strength.toml"])
def test_a_byte_order_mark_is_one_clear_problem(kb_dir: Path, name: str) -> None:
    """Windows' Notepad saves UTF-8 with one: tomllib's words were "Invalid statement"."""
    path = kb_dir / name
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert problems(kb_dir) == [
        f"{name}:1: the file starts with a byte order mark (U+FEFF), which TOML does not "
        "allow; save it as UTF-8 without one"
    ]


def test_lines_are_counted_as_an_editor_numbers_them(kb_dir: Path) -> None:
    """Line and paragraph separators and NEL in a comment are no line breaks: counted
    as breaks (str.splitlines), they put every later problem lines too far."""
    path = kb_dir / CLAIMS
    path.write_text("# a\u2028b\u2029c\x85d\n" + path.read_text("utf-8"), encoding="utf-8")
    line = edit(kb_dir, CLAIMS, 'section = "guidelines"', 'sektion = "guidelines"')
    assert problems(kb_dir)[1].startswith(f"{CLAIMS}:{line}: unknown field 'sektion'")


@pytest.mark.parametrize("taken", ["main", "research", "references-heading"])
def test_a_claim_id_a_topic_page_anchors_already_is_refused(kb_dir: Path, taken: str) -> None:
    """A claim is anchored on its topic's page by its id: one named like the page's own
    anchors (a claims-jsonl file's ids are its own) gave the page that id twice."""
    text = (kb_dir / CLAIMS).read_text("utf-8")
    first = re.search(r'id = "(ketamine-pain-[0-9a-f]+)"', text)
    assert first is not None
    line = edit(kb_dir, CLAIMS, first.group(0), f'id = "{taken}"')
    assert problems(kb_dir) == [
        f"{CLAIMS}:{line}: claim id '{taken}' is taken: its topic's page has an anchor of "
        "that name; choose another id"
    ]


def test_unknown_and_missing_fields(kb_dir: Path) -> None:
    line = edit(kb_dir, CLAIMS, 'section = "guidelines"', 'sektion = "guidelines"')
    header = line - 2  # the claim's [[claim]] line; its id comes between
    assert problems(kb_dir) == [
        f"{CLAIMS}:{header}: [[claim]] missing field 'section'",
        f"{CLAIMS}:{line}: unknown field 'sektion'; allowed fields: added, categories, changed, "
        "citations, entities, heading, id, section, source_line, strength, strength_basis, "
        "strength_method, text",
    ]


def test_duplicate_ids(kb_dir: Path) -> None:
    first = edit(kb_dir, CLAIMS, 'id = "ketamine-pain-6927e12e"', 'id = "ketamine-pain-6927e12e"')
    second = edit(kb_dir, CLAIMS, 'id = "ketamine-pain-4e90786c"', 'id = "ketamine-pain-6927e12e"')
    assert problems(kb_dir) == [
        f"{CLAIMS}:{second}: duplicate claim id 'ketamine-pain-6927e12e' "
        f"(first defined at {kb_dir}/{CLAIMS}:{first})"
    ]


def test_non_integer_citations(kb_dir: Path) -> None:
    line = edit(kb_dir, CLAIMS, "citations = [2, 3]", 'citations = [2, "3a"]')
    assert problems(kb_dir) == [
        f"{CLAIMS}:{line}: field 'citations' must be a list of whole numbers, like [2, 4]; "
        '"3a" is not a whole number'
    ]


def test_labels_outside_their_vocabulary(kb_dir: Path) -> None:
    section = edit(kb_dir, CLAIMS, 'section = "research"', 'section = "results"')
    strength = edit(kb_dir, CLAIMS, 'strength = "low"', 'strength = "lo"')
    method = edit(kb_dir, CLAIMS, 'strength_method = "stated"', 'strength_method = "guessed"')
    assert problems(kb_dir) == [
        f"{CLAIMS}:{strength}: unknown strength 'lo' (did you mean 'low'?); "
        "allowed: high, moderate, low, very-low, not-stated",
        f"{CLAIMS}:{section}: unknown section 'results'; allowed: guidelines, research",
        f"{CLAIMS}:{method}: unknown strength method 'guessed'; allowed: stated, derived",
    ]
    assert strength < section < method


def test_empty_text(kb_dir: Path) -> None:
    line = edit(kb_dir, CLAIMS, 'text = "Ketamine is a viable', 'text = " "\nold = "')
    found = problems(kb_dir)
    assert f"{CLAIMS}:{line}: field 'text' is empty" in found


def test_control_characters(kb_dir: Path) -> None:
    line = edit(kb_dir, CLAIMS, "Ketamine is a viable", "\\u001b[31mKetamine is a viable")
    assert problems(kb_dir) == [
        f"{CLAIMS}:{line}: field 'text' contains the control character U+001B; remove it"
    ]


def test_a_bidi_control_left_open_is_refused_and_a_closed_one_kept(kb_dir: Path) -> None:
    """An override left open would show the rest of a line reversed on the site ("12,
    13" as "31 ,21"); one closed within the value stays, as right-to-left text may need it."""
    line = edit(kb_dir, CLAIMS, "Ketamine is a viable", "Ketamine \\u202eis a viable")
    assert problems(kb_dir) == [
        f"{CLAIMS}:{line}: field 'text' contains U+202E, a bidi control left open, which "
        "reverses or reorders the text shown after it; close it with U+202C or remove it"
    ]


@given(
    st.lists(
        st.sampled_from(
            ["\u202a", "\u202b", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "a", " "]
        ),
        max_size=12,
    )
)
def test_bidi_controls_pass_only_closed_in_order(parts: list[str]) -> None:
    closes = {"\u2066": "\u2069", "\u2067": "\u2069", "\u2068": "\u2069"}
    opened: list[str] = []
    text = "x"
    for part in parts:
        text += part
        if part.strip() and part != "a":
            opened.append(closes.get(part, "\u202c"))
    assert (control_fault(text) is None) == (not opened)
    assert control_fault(text + "".join(reversed(opened))) is None
    assert control_fault("x\u202c") is not None  # a close with nothing open


def test_unknown_entity_and_category(kb_dir: Path) -> None:
    entity = edit(kb_dir, CLAIMS, 'entities = ["ketamine", "crps"', 'entities = ["ketamine", "crp"')
    category = edit(kb_dir, CLAIMS, 'categories = ["mechanism"]', 'categories = ["mechanisms"]')
    found = problems(kb_dir)
    assert len(found) == 2
    assert entity < category
    assert found[0].startswith(
        f"{CLAIMS}:{entity}: unknown entity 'crp' (did you mean 'crps'?); "
        "allowed: ketamine, esketamine, arketamine, opioids, opiates, benzodiazepines,"
    )
    assert found[1].startswith(
        f"{CLAIMS}:{category}: unknown category 'mechanisms' (did you mean 'mechanism'?); "
        "allowed: mechanism, efficacy, dosing,"
    )


def test_strength_rules_are_enforced(kb_dir: Path) -> None:
    # A derived label the rule does not give, and a stated basis not in the text.
    derived = edit(kb_dir, CLAIMS, 'strength = "not-stated"', 'strength = "high"')
    basis = edit(
        kb_dir,
        CLAIMS,
        'strength_basis = "the evidence is moderate to weak"',
        'strength_basis = "the evidence is weak"',
    )
    assert problems(kb_dir) == [
        f"{CLAIMS}:{derived}: derived strength should be 'not-stated' by the rule in "
        "strength.md, not 'high'",
        f"{CLAIMS}:{basis}: a stated strength_basis must quote the claim's text word for "
        'word; "the evidence is weak" is not in it, whole words',
    ]


def test_a_stated_basis_cut_inside_a_word_is_refused(kb_dir: Path) -> None:
    """The basis "he evidence is moderate" is in "the evidence is moderate" letter for
    letter, but it is not what the claim says."""
    basis = edit(
        kb_dir,
        CLAIMS,
        'strength_basis = "the evidence is moderate to weak"',
        'strength_basis = "he evidence is moderate to weak"',
    )
    assert problems(kb_dir) == [
        f"{CLAIMS}:{basis}: a stated strength_basis must quote the claim's text word for "
        'word; "he evidence is moderate to weak" is not in it, whole words',
    ]


def test_text_must_match_the_source_and_drop_its_marker(kb_dir: Path) -> None:
    reworded = edit(kb_dir, CLAIMS, "interrupt pain signaling", "interrupt pain signalling")
    marker = edit(kb_dir, CLAIMS, "neuropathic component.", "neuropathic component 2.")
    assert problems(kb_dir) == [
        f"{CLAIMS}:{reworded}: text is not on line 2 of source.txt word for word, and claim "
        "text must be verbatim: undo the edit; or, if the source itself says so now, edit "
        "line 2 of source.txt too, or import it again (ekb import SOURCE --topic "
        "ketamine-pain --replace)",
        f"{CLAIMS}:{marker}: text ends in what looks like a citation marker; move the "
        "numbers to 'citations'",
    ]


def test_references_must_be_cited_once(kb_dir: Path) -> None:
    path = kb_dir / "topics/ketamine-pain/references.toml"
    path.write_text(path.read_text() + "\n[[reference]]\nnumber = 7\n\n[[reference]]\nnumber = 6\n")
    lines = len(path.read_text().splitlines())
    assert problems(kb_dir) == [
        f"topics/ketamine-pain/references.toml:{lines - 3}: reference 7 is not cited by any "
        "claim of this topic",
        f"topics/ketamine-pain/references.toml:{lines}: reference 6 is listed twice",
    ]


def test_vocabulary_problems(kb_dir: Path) -> None:
    relative = "vocabulary/entities.toml"
    kind = edit(kb_dir, relative, 'kind = "route"', 'kind = "pathway"')
    slug = edit(kb_dir, relative, 'id = "ketamine"', 'id = "Ketamine"')
    found = problems(kb_dir)
    assert (
        f"{relative}:{kind}: unknown entity kind 'pathway'; allowed: drug, condition, "
        "mechanism, route, adverse-effect, organization" in found
    )
    assert (
        f"{relative}:{slug}: id 'Ketamine' must use lower-case letters, digits and "
        "single hyphens" in found
    )


def test_all_problems_are_reported_in_one_run(kb_dir: Path) -> None:
    edit(kb_dir, CLAIMS, 'section = "research"', 'section = "results"')
    edit(kb_dir, "vocabulary/categories.toml", 'label = "Dosing"\n', "")
    (kb_dir / "topics/ketamine-pain/topic.toml").write_text('title = "T"\n')
    found = problems(kb_dir)
    assert [p.split(":")[0] for p in found] == [
        "topics/ketamine-pain/claims.toml",
        "topics/ketamine-pain/topic.toml",
        "topics/ketamine-pain/topic.toml",
        "vocabulary/categories.toml",
    ]
    assert found[1:3] == [
        "topics/ketamine-pain/topic.toml:1: missing field 'citation_style'",
        "topics/ketamine-pain/topic.toml:1: missing field 'source'",
    ]
    assert all(re.match(r"^[\w/.-]+:\d+: \S", p) for p in found)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        load_kb(tmp_path / "nowhere")
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path}/nowhere:1: knowledge base folder not found; pass --kb DIR"
    ]


def test_the_documented_example_claim_is_real(repo_kb: Path) -> None:
    # kb/README.md shows a claim as it stands in the knowledge base; keep them the same.
    readme = (repo_kb / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n[[claim]]\n", 1)[1].split("```", 1)[0]
    claims = (repo_kb / CLAIMS).read_text(encoding="utf-8")
    assert "[[claim]]\n" + example in claims


def test_a_missing_vocabulary_is_reported_once(kb_dir: Path) -> None:
    (kb_dir / "vocabulary" / "entities.toml").unlink()
    found = problems(kb_dir)
    assert found.count("vocabulary/entities.toml:1: file is missing") == 1


# `ekb check` passes only if `ekb build` will succeed: each case below once passed
# check and then crashed the build.


def test_a_term_listed_twice_in_a_claim(kb_dir: Path) -> None:
    entity = edit(kb_dir, CLAIMS, 'entities = ["ketamine", "crps"', 'entities = ["crps", "crps"')
    category = edit(
        kb_dir, CLAIMS, 'categories = ["efficacy"]', 'categories = ["efficacy", "efficacy"]'
    )
    assert problems(kb_dir) == [
        f"{CLAIMS}:{category}: 'efficacy' is listed twice in 'categories'; list it once",
        f"{CLAIMS}:{entity}: 'crps' is listed twice in 'entities'; list it once",
    ]


def test_whole_numbers_beyond_sqlite(kb_dir: Path) -> None:
    references = "topics/ketamine-pain/references.toml"
    year = edit(kb_dir, references, "number = 2\n", f"number = 2\nyear = {2**63}\n") + 1
    rank = edit(kb_dir, "strength.toml", "rank = 1", f"rank = {-(2**63) - 1}")
    cited = edit(kb_dir, CLAIMS, "citations = [2, 3]", f"citations = [2, 3, {2**64}]")
    found = problems(kb_dir)
    limits = "-9223372036854775808 to 9223372036854775807, the range the database can store"
    assert f"{references}:{year}: field 'year' holds a whole number outside {limits}" in found
    assert f"strength.toml:{rank}: field 'rank' holds a whole number outside {limits}" in found
    assert f"{CLAIMS}:{cited}: field 'citations' holds a whole number outside {limits}" in found
    # The largest number SQLite stores is not out of range (though no year).
    edit(kb_dir, references, f"year = {2**63}", f"year = {2**63 - 1}")
    assert not any(
        p.startswith(f"{references}:{year}: field 'year' holds") for p in problems(kb_dir)
    )


def test_a_claim_id_must_fit_in_a_file_name(kb_dir: Path) -> None:
    longest = "a" * 200
    edit(kb_dir, CLAIMS, 'id = "ketamine-pain-6927e12e"', f'id = "{longest}"')
    assert load_kb(kb_dir).claim(longest).id == longest
    line = edit(kb_dir, CLAIMS, f'id = "{longest}"', f'id = "{longest}b"')
    assert problems(kb_dir) == [
        f"{CLAIMS}:{line}: id is 201 characters long; at most 200 are allowed, as it names a file"
    ]


def test_slugs_match_whole_never_before_a_final_newline(kb_dir: Path) -> None:
    (kb_dir / "topics" / "x\n").mkdir()
    line = edit(kb_dir, "vocabulary/entities.toml", 'id = "fibromyalgia"', 'id = "fibromyalgia\\n"')
    found = problems(kb_dir)
    assert found[-2:] == [
        "topics/x\\n:1: topic folder name 'x\\n' is not a slug: use lower-case letters, "
        "digits and single hyphens",
        f"vocabulary/entities.toml:{line}: field 'id' contains the control character "
        "U+000A; remove it",
    ]
    # Claims naming the broken entry say so on one line each.
    assert all("\n" not in problem for problem in found)


def test_a_topic_folder_name_must_fit_in_a_file_name(kb_dir: Path) -> None:
    (kb_dir / "topics" / ("t" * 101)).mkdir()
    assert problems(kb_dir) == [
        f"topics/{'t' * 101}:1: topic folder name '{'t' * 101}' is 101 characters long; "
        "at most 100 are allowed, as it names a file"
    ]


@pytest.mark.parametrize(
    ("name", "old", "table"),
    [
        ("entities", 'id = "fibromyalgia"', "entity"),
        ("categories", 'id = "efficacy"', "category"),
    ],
)
def test_a_term_may_not_take_the_name_of_its_folders_page(
    kb_dir: Path, name: str, old: str, table: str
) -> None:
    """entities/index.html lists every entity: an entity with the id "index" would
    overwrite it (and likewise for categories)."""
    path = kb_dir / "vocabulary" / f"{name}.toml"
    text = path.read_text(encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, 'id = "index"', 1), encoding="utf-8")
    found = [p for p in problems(kb_dir) if p.startswith(f"vocabulary/{name}.toml")]
    assert found == [
        f"vocabulary/{name}.toml:{line}: id 'index' is taken: the site's page listing "
        f"every {table} has that name; choose another id"
    ]


def test_broader_names_an_entry_of_the_same_file(kb_dir: Path) -> None:
    line = edit(
        kb_dir,
        "vocabulary/entities.toml",
        'broader = ["ketamine"]  #',
        'broader = ["ketamin", "esketamine"]  #',
    )
    assert problems(kb_dir) == [
        f"vocabulary/entities.toml:{line}: 'esketamine' cannot be broader than itself",
        f"vocabulary/entities.toml:{line}: broader: unknown entity 'ketamin' (an id of this "
        "file's [[entity]])",
    ]


def test_broader_never_goes_round_in_a_circle(kb_dir: Path) -> None:
    edit(
        kb_dir,
        "vocabulary/entities.toml",
        'id = "opioids"',
        'id = "opioids"\nbroader = ["opiates"]',
    )
    line = edit(
        kb_dir, "vocabulary/entities.toml", 'broader = ["opioids"]', 'broader = ["opioids"]'
    )
    assert problems(kb_dir) == [
        f"vocabulary/entities.toml:{line}: broader goes round in a circle: "
        "opiates -> opioids -> opiates"
    ]


def test_a_topics_source_format_is_summary_or_jsonl(evidence_kb: Path) -> None:
    topic = "topics/scifact-sample/topic.toml"
    line = edit(evidence_kb, topic, 'source_format = "jsonl"', 'source_format = "csv"')
    assert f"{topic}:{line}: unknown source format 'csv'; allowed: summary, jsonl" in (
        problems(evidence_kb)
    )
    # A summary's basis no longer fits claims that came from a file of claims.
    edit(evidence_kb, topic, 'source_format = "csv"', 'source_format = "summary"')
    assert problems(evidence_kb)[0].endswith(
        'derived strength_basis must read "Derived: the source does not grade this evidence. '
        'A statement from the research part of the summary; it cites source 13734012."'
    )


def test_import_refuses_a_summary_line_with_a_bidi_control_left_open(
    empty_kb: Path, tmp_path: Path
) -> None:
    source = tmp_path / "summary.txt"
    source.write_text(
        "From the Research\nEfficacy of Ketamine in Pain Management\n"
        "- Ketamine has been shown to have efficacy in treating central pain \u202e 2, 3.\n",
        encoding="utf-8",
    )
    ran = ekb_here("import", str(source), "--topic", "t", "--kb", str(empty_kb))
    assert (ran.exit_code, ran.stdout) == (1, "")
    assert ran.stderr.splitlines() == [
        f"{source}:3: the statement contains U+202E, a bidi control left open, which reverses "
        "or reorders the text shown after it; close it with U+202C or remove it",
        "Error: 1 problem found",
    ]
    assert not (empty_kb / "topics" / "t").exists()


# -- edits at the edges: each the one problem it is, never one that blames another ----

SAMPLE_EVIDENCE = f"topics/{EVIDENCE_TOPIC}/evidence.toml"
SAMPLE_CLAIMS = f"topics/{EVIDENCE_TOPIC}/claims.toml"
ENTITIES = "vocabulary/entities.toml"


def check_lines(kb_dir: Path) -> list[str]:
    """What `ekb check` prints, each line with the kb folder's prefix taken off; it must
    have failed."""
    ran = ekb_here("check", "--kb", str(kb_dir))
    assert ran.exit_code == 1, ran.output
    return ran.stderr.replace(f"{kb_dir}/", "").splitlines()


def test_a_claim_id_two_topics_define_is_one_problem_each(evidence_kb: Path) -> None:
    """The topic copied whole: its ids are duplicates, and that is all. Its evidence
    names its own claims; it was said to belong to the other topic."""
    shutil.copytree(evidence_kb / "topics" / EVIDENCE_TOPIC, evidence_kb / "topics" / "zz")
    (evidence_kb / "topics" / "zz" / "evidence.toml").unlink()
    assert check_lines(evidence_kb) == [
        f"topics/zz/claims.toml:{line}: duplicate claim id '{claim}' (first defined at "
        f"{SAMPLE_CLAIMS}:{line})"
        for claim, line in (("scifact-2", 5), ("scifact-10", 17), ("scifact-11", 29))
    ] + ["Error: 3 problems found"]


@pytest.mark.parametrize(
    "old",
    [
        'label = "Contradicts"',
        'definition = "The cited work reports evidence against the claim."',
    ],
)
def test_a_stance_with_a_faulty_field_is_not_missing(kb_dir: Path, old: str) -> None:
    """Its id is there: "'contradicts' is missing" came beside the real problem."""
    field = old.split(" ")[0]
    line = edit(kb_dir, "stance.toml", old, f'{field} = " "')
    assert check_lines(kb_dir) == [
        f"stance.toml:{line}: field '{field}' is empty",
        "Error: 1 problem found",
    ]


def test_entity_kinds_listed_as_none(kb_dir: Path) -> None:
    """`kinds = []` was "unknown field 'kinds'; allowed fields: entity", and let any kind by."""
    text = (kb_dir / ENTITIES).read_text(encoding="utf-8")
    start = text.index("kinds = [")
    (kb_dir / ENTITIES).write_text(
        text[:start] + "kinds = []" + text[text.index("]", start) + 1 :], encoding="utf-8"
    )
    lines = check_lines(kb_dir)
    assert lines[0].endswith("unknown entity kind 'drug'; allowed: (none defined)")
    assert not any("unknown field" in line for line in lines)


def test_entity_kinds_not_a_list(kb_dir: Path) -> None:
    text = (kb_dir / ENTITIES).read_text(encoding="utf-8")
    start = text.index("kinds = [")
    (kb_dir / ENTITIES).write_text(
        text[:start] + 'kinds = "drug"' + text[text.index("]", start) + 1 :], encoding="utf-8"
    )
    line = text.count("\n", 0, start) + 1
    assert check_lines(kb_dir) == [
        f'{ENTITIES}:{line}: field \'kinds\' must be a list of texts, like ["a", "b"]',
        "Error: 1 problem found",
    ]


@pytest.mark.parametrize(
    ("quote", "message"),
    [
        ('{ sentence = 4.0, text = "RESULTS" }', "quotation 1: sentence must be a whole number"),
        ('{ sentence = 4, text = " " }', "quotation 1: text is empty"),
        ("{ sentence = 4, text = 4 }", "quotation 1: text must be text in double quotes"),
    ],
)
def test_a_faulty_quotation_names_the_quotation_and_its_key(
    evidence_kb: Path, quote: str, message: str
) -> None:
    """It was "field 'quotes' must be a whole number" (or "is empty"), at the table."""
    text = (evidence_kb / SAMPLE_EVIDENCE).read_text(encoding="utf-8")
    start = text.index("{ sentence = 4,")
    line = text.count("\n", 0, start) + 1
    (evidence_kb / SAMPLE_EVIDENCE).write_text(
        text[:start] + quote + text[text.index("},", start) + 1 :], encoding="utf-8"
    )
    assert check_lines(evidence_kb) == [
        f"{SAMPLE_EVIDENCE}:{line}: {message}",
        "Error: 1 problem found",
    ]


@pytest.mark.parametrize(
    ("relative", "old", "new"),
    [
        (ENTITIES, 'label = "Ketamine"', 'label = "\u200b"'),
        ("vocabulary/categories.toml", 'label = "Efficacy"', 'label = "\u200b\u200b"'),
        (
            "topics/ketamine-pain/topic.toml",
            'title = "Ketamine for pain management"',
            'title = "\ufeff \u2060"',
        ),
        (
            SAMPLE_CLAIMS,
            'text = "1 in 5 million in UK have abnormal PrP positivity."',
            'text = "\u00ad"',
        ),
        ("stance.toml", 'label = "Supports"', 'label = "\u200b"'),
    ],
)
def test_a_text_of_only_invisible_characters_is_empty(
    evidence_kb: Path, relative: str, old: str, new: str
) -> None:
    """A page showed the name, title or claim as nothing (a link with no words)."""
    line = edit(evidence_kb, relative, old, new)
    lines = check_lines(evidence_kb)
    code = next(char for char in new.split('"')[1] if not char.isspace())
    assert lines[0].startswith(f"{relative}:{line}: field ")
    assert lines[0].endswith(
        f" is empty: it holds only invisible characters, such as U+{ord(code):04X}"
    )


@pytest.mark.parametrize(
    ("relative", "old", "new", "item"),
    [
        ("vocabulary/categories.toml", '"pharmacology", "mode', '"pharmacology", " ", "mode', 2),
        (ENTITIES, 'label = "Ketamine"', 'label = "Ketamine"\nsynonyms = ["\u200b"]', 1),
        ("strength.toml", 'hedging_words = ["may",', 'hedging_words = ["", "may",', 1),
    ],
)
def test_an_empty_text_in_a_list_is_refused(
    evidence_kb: Path, relative: str, old: str, new: str, item: int
) -> None:
    """`synonyms = [""]` passed: an empty name matches every query, an empty hedging
    word hedges every claim. A refused hedging list is its own one problem, not one
    for every claim whose strength was derived with it."""
    line = edit(evidence_kb, relative, old, new) + new.count("\n")  # the list's line
    lines = check_lines(evidence_kb)
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"{relative}:{line}: field '")
    assert f"' item {item} is empty" in lines[0]
    assert lines[0].endswith("; remove it or fill it in")


def test_a_name_of_two_terms_is_refused(evidence_kb: Path) -> None:
    """A synonym of one entity that is another's abbreviation, or a stance labelled
    with another's id, passed: `entity:`/`stance:` queries and the names a word search
    adds took whichever term came first."""
    line = edit(
        evidence_kb, ENTITIES, 'label = "Ketamine"', 'label = "Ketamine"\nsynonyms = ["crps"]'
    )
    lines = check_lines(evidence_kb)
    crps = next(i for i, text in enumerate((evidence_kb / ENTITIES).read_text().splitlines(), 1)
                if text == 'id = "crps"')  # fmt: skip
    assert lines[0] == (
        f"{ENTITIES}:{crps}: id 'crps' is also a synonym of entity 'ketamine' (line {line + 1}): "
        "a name must name one entity, or a search for it could mean either"
    )
    assert len(lines) == 3  # and its abbreviation CRPS, then the count
    # Abbreviations differing only in case may name two things (CRPS is not Crps); an
    # abbreviation meets the others' ids, labels and synonyms in any case.
    text = (evidence_kb / ENTITIES).read_text()
    (evidence_kb / ENTITIES).write_text(
        text.replace('synonyms = ["crps"]', 'abbreviations = ["Crps"]')
    )
    lines = check_lines(evidence_kb)
    assert [line.split(": ", 1)[1].split(" (line")[0] for line in lines[:-1]] == [
        "id 'crps' is also an abbreviation of entity 'ketamine'"
    ]


def test_a_stance_labelled_with_another_stances_id_is_refused(evidence_kb: Path) -> None:
    line = edit(evidence_kb, "stance.toml", 'label = "Supports"', 'label = "contradicts"')
    lines = check_lines(evidence_kb)
    assert lines[0].startswith("stance.toml:") and lines[0].split(": ", 1)[1] == (
        f"id 'contradicts' is also the label of stance 'supports' (line {line}): a name "
        "must name one stance, or a search for it could mean either"
    )


def test_a_claim_with_a_zero_width_space_among_its_words_is_kept(evidence_kb: Path) -> None:
    edit(evidence_kb, SAMPLE_CLAIMS, "1 in 5 million", "1 in\u200b 5 million")
    assert ekb_here("check", "--kb", str(evidence_kb)).exit_code == 0


@pytest.mark.parametrize("key", ["label", "synonyms", "abbreviations"])
def test_a_term_name_is_at_most_200_characters(kb_dir: Path, key: str) -> None:
    """A synonym of thousands of words made every search for its term take minutes (it
    is searched as a phrase): `ekb check` passed it, `ekb search ketamine` hung."""
    name = ("pain " * 60).strip()
    value = f'"{name}"' if key == "label" else f'["{name}"]'
    line = edit(kb_dir, ENTITIES, 'label = "Ketamine"', f"label = {value}")
    if key != "label":
        text = (kb_dir / ENTITIES).read_text(encoding="utf-8")
        (kb_dir / ENTITIES).write_text(
            text.replace(f"label = {value}", f'label = "Ketamine"\n{key} = {value}', 1),
            encoding="utf-8",
        )
        line += 1
    assert check_lines(kb_dir) == [
        f"{ENTITIES}:{line}: field '{key}' holds a text of {len(name)} characters; at most "
        "200 are allowed, as search looks each name up as a phrase",
        "Error: 1 problem found",
    ]


@pytest.mark.parametrize("value", [0, -1, -(2**63)])
def test_source_line_is_1_or_more_in_a_topic_without_a_summary(
    evidence_kb: Path, value: int
) -> None:
    """A claims-jsonl topic keeps no source.txt to hold the line to: 0 passed."""
    line = edit(evidence_kb, SAMPLE_CLAIMS, "source_line = 2", f"source_line = {value}")
    assert check_lines(evidence_kb) == [
        f"{SAMPLE_CLAIMS}:{line}: field 'source_line' is {value}; it must be 1 or more",
        "Error: 1 problem found",
    ]


def test_source_line_0_of_a_summary_is_one_problem(kb_dir: Path) -> None:
    line = edit(kb_dir, CLAIMS, "source_line = 2", "source_line = 0")
    assert check_lines(kb_dir) == [
        f"{CLAIMS}:{line}: field 'source_line' is 0; it must be 1 or more",
        "Error: 1 problem found",
    ]


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("very high", "label 'very high' must use lower-case letters, digits and single hyphens"),
        ('\\"x', "label '\"x' must use lower-case letters, digits and single hyphens"),
        (
            "method",
            "label 'method' is taken: the site's strength page has an anchor of that name; "
            "choose another label",
        ),
    ],
)
def test_a_strength_label_is_an_id(kb_dir: Path, label: str, message: str) -> None:
    """A label is written in queries (strength:LABEL) and anchors its level on the
    strength page: 'very high' made an id with a space, '"x' a query no one can write,
    'method' a second #method on the page."""
    line = edit(kb_dir, "strength.toml", 'label = "high"', f'label = "{label}"')
    assert check_lines(kb_dir) == [f"strength.toml:{line}: {message}", "Error: 1 problem found"]
