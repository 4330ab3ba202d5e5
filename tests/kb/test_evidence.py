"""Evidence per citation: stance.toml, a topic's evidence.toml, and what `ekb check`
says about every way they can be wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidencekb.errors import ValidationError
from evidencekb.kb.exporter import export
from evidencekb.kb.load import load_kb
from evidencekb.model import Evidence, Quote, Relation
from fixtures import EVIDENCE_TOPIC, make_claim

EVIDENCE = f"topics/{EVIDENCE_TOPIC}/evidence.toml"
REFERENCES = f"topics/{EVIDENCE_TOPIC}/references.toml"
RESULTS = (
    "RESULTS Of the 32,441 appendix samples 16 were positive for abnormal PrP, indicating "
    "an overall prevalence of 493 per million population (95% confidence interval 282 to "
    "801 per million)."
)


def problems(kb_dir: Path) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        load_kb(kb_dir)
    return [str(p).removeprefix(f"{kb_dir}/") for p in caught.value.problems]


def edit(kb_dir: Path, relative: str, old: str, new: str) -> int:
    """Replace `old` once in a kb file; the line the edit starts on."""
    path = kb_dir / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def append(kb_dir: Path, relative: str, toml: str) -> int:
    """Add TOML at the end of a kb file; the line it starts on."""
    path = kb_dir / relative
    text = path.read_text(encoding="utf-8")
    path.write_text(text + toml, encoding="utf-8")
    return text.count("\n") + 1 + toml.count("\n", 0, len(toml) - len(toml.lstrip("\n")))


def test_the_seed_has_every_stance_not_stated(repo_kb: Path) -> None:
    kb = load_kb(repo_kb)
    assert [term.id for term in kb.stances] == [
        "supports",
        "contradicts",
        "no-evidence",
        "not-stated",
    ]
    assert [term.id for term in kb.relation_kinds] == ["contradicts", "refines", "duplicates"]
    links = [e for claim in kb.claims for e in claim.citation_evidence]
    assert len(links) == sum(len(claim.citations) for claim in kb.claims) > 0
    assert {e.stance for e in links} == {"not-stated"} and not any(e.quotes for e in links)
    assert not any(claim.contested for claim in kb.claims)
    exported = json.loads(export(kb, "json"))
    assert [[e["citation"] for e in c["evidence"]] for c in exported] == [
        list(claim.citations) for claim in kb.claims
    ]
    assert {(e["stance"], len(e["quotes"])) for c in exported for e in c["evidence"]} == {
        ("not-stated", 0)
    }
    assert {c["contested"] for c in exported} == {False}


def test_the_sample_loads_its_stance_quotation_and_relation(evidence_kb: Path) -> None:
    kb = load_kb(evidence_kb)
    prion = kb.claim("scifact-2")
    assert prion.citation_evidence == (Evidence(13734012, "contradicts", (Quote(4, RESULTS),)),)
    assert not prion.contested
    relation = Relation("contradicts", "scifact-11", "scifact-10")
    for claim_id in ("scifact-10", "scifact-11"):
        claim = kb.claim(claim_id)
        assert claim.relations == (relation,) and claim.contested
        assert claim.citation_evidence == (Evidence(32587939, "not-stated"),)
    reference = kb.topic(EVIDENCE_TOPIC).references[0]
    assert reference.sentences[4] == RESULTS and len(reference.sentences) == 9


def test_json_export_gives_evidence_per_citation_and_contested(evidence_kb: Path) -> None:
    claims = json.loads(export(load_kb(evidence_kb), "json", EVIDENCE_TOPIC))
    assert claims[0]["evidence"] == [
        {
            "citation": 13734012,
            "stance": "contradicts",
            "quotes": [{"text": RESULTS, "sentence": 4}],
        }
    ]
    assert [c["contested"] for c in claims] == [False, True, True]
    assert claims[1]["evidence"] == [{"citation": 32587939, "stance": "not-stated", "quotes": []}]


def test_csv_export_gives_stances_in_citation_order(evidence_kb: Path) -> None:
    lines = export(load_kb(evidence_kb), "csv", EVIDENCE_TOPIC).splitlines()
    # The evidence summary first, then the stances where the JSON has its evidence.
    assert lines[0].startswith("id,verdict,warning,topic,")
    assert lines[0].endswith(",position,stances,contested,notices,added,changed")
    assert lines[1].startswith(
        "scifact-2,Cited work contradicts · Strength: not stated by the source,true,"
    )
    assert lines[1].endswith(",2,1,contradicts,false,,,")  # no notices, no dates


def test_contested_when_cited_works_disagree() -> None:
    claim = make_claim(
        "t",
        1,
        "research",
        None,
        "A claim.",
        citations=(1, 2, 3),
        evidence=(Evidence(3, "contradicts"), Evidence(1, "supports")),
    )
    assert claim.contested
    assert [e.stance for e in claim.citation_evidence] == ["supports", "not-stated", "contradicts"]
    agreeing = make_claim(
        "t", 2, "research", None, "B.", citations=(1, 2), evidence=(Evidence(1, "supports"),)
    )
    assert not agreeing.contested


def test_a_quotation_must_stand_word_for_word_in_its_sentence(evidence_kb: Path) -> None:
    line = edit(evidence_kb, EVIDENCE, "16 were positive", "17 were positive")
    assert problems(evidence_kb) == [
        f"{EVIDENCE}:{line}: quotation 1 is not in sentence 4 of reference 13734012 word for "
        "word; a quotation must be verbatim, whole words"
    ]


# The quotation of sentence 4 of reference 13734012 in the sample, as it is written.
WHOLE_SENTENCE = (
    "RESULTS Of the 32,441 appendix samples 16 were positive for abnormal PrP, indicating "
    "an overall prevalence of 493 per million population (95% confidence interval 282 to "
    "801 per million)."
)


def quoting(kb_dir: Path, part: str) -> None:
    """The sample's quotation of sentence 4 cut down to `part` of it."""
    text = (kb_dir / EVIDENCE).read_text("utf-8")
    assert f'text = "{WHOLE_SENTENCE}"' in text
    (kb_dir / EVIDENCE).write_text(text.replace(WHOLE_SENTENCE, part), "utf-8")


@pytest.mark.parametrize(
    "part",
    [
        "441 appendix samples 16",  # begins inside "32,441": as if 441 samples were taken
        "confidence interval 282 to 80",  # ends inside "801": an upper bound of 80
        "RESULTS Of the 32",  # ends inside "32,441": as if 32 samples were taken
        "ULTS Of the 32,441 appendix samples",  # begins inside "RESULTS"
    ],
)
def test_a_quotation_cut_inside_a_word_or_number_is_refused(evidence_kb: Path, part: str) -> None:
    """The same characters are not enough: a quotation that starts or ends inside one
    of its sentence's words or numbers says what the work does not."""
    quoting(evidence_kb, part)
    (problem,) = problems(evidence_kb)
    assert problem.endswith("a quotation must be verbatim, whole words")


@pytest.mark.parametrize(
    "part", ["16 were positive for abnormal PrP", "(95% confidence interval 282 to 801"]
)
def test_a_quotation_of_whole_words_from_within_its_sentence_stands(
    evidence_kb: Path, part: str
) -> None:
    quoting(evidence_kb, part)
    load_kb(evidence_kb)  # no problem


def test_a_quotation_names_a_sentence_of_the_recorded_text(evidence_kb: Path) -> None:
    line = edit(evidence_kb, EVIDENCE, "{ sentence = 4,", "{ sentence = 9,")
    assert problems(evidence_kb) == [
        f"{EVIDENCE}:{line}: quotation 1: sentence 9 is outside reference 13734012's text "
        "(sentences 0 to 8)"
    ]


def test_a_quotation_needs_the_reference_to_record_its_text(evidence_kb: Path) -> None:
    path = evidence_kb / REFERENCES
    text = path.read_text(encoding="utf-8")
    start = text.index("sentences = [")
    path.write_text(text[:start] + text[text.index("]\n", start) + 2 :], encoding="utf-8")
    line = edit(evidence_kb, EVIDENCE, "quotes = [", "quotes = [")
    assert problems(evidence_kb) == [
        f"{EVIDENCE}:{line}: reference 13734012 records no text to quote from: add its "
        "sentences to references.toml"
    ]


def test_malformed_quotations(evidence_kb: Path) -> None:
    line = edit(evidence_kb, EVIDENCE, "{ sentence = 4,", "{ sentense = 4,")
    assert problems(evidence_kb) == [
        f'{EVIDENCE}:{line}: quotation 1 must be written {{ sentence = N, text = "..." }}'
    ]


def test_stance_must_come_from_the_vocabulary(evidence_kb: Path) -> None:
    line = edit(evidence_kb, EVIDENCE, 'stance = "contradicts"', 'stance = "contradict"')
    assert problems(evidence_kb) == [
        f"{EVIDENCE}:{line}: unknown stance 'contradict' (did you mean 'contradicts'?); "
        "allowed: supports, contradicts, no-evidence"  # not-stated is never written
    ]


def test_not_stated_is_never_written(evidence_kb: Path) -> None:
    line = append(
        evidence_kb,
        EVIDENCE,
        '\n[[evidence]]\nclaim = "scifact-10"\ncitation = 32587939\nstance = "not-stated"\n',
    )
    assert problems(evidence_kb) == [
        f"{EVIDENCE}:{line + 3}: stance 'not-stated' is what a citation without an "
        "[[evidence]] table has; remove this table"
    ]


def test_evidence_names_a_claim_of_the_topic_and_a_work_it_cites(evidence_kb: Path) -> None:
    start = append(
        evidence_kb,
        EVIDENCE,
        '\n[[evidence]]\nclaim = "scifact-10"\ncitation = 13734012\nstance = "supports"\n'
        '\n[[evidence]]\nclaim = "scifact-99"\ncitation = 1\nstance = "supports"\n'
        '\n[[evidence]]\nclaim = "ketamine-pain-6927e12e"\ncitation = 1\nstance = "supports"\n'
        '\n[[evidence]]\nclaim = "scifact-2"\ncitation = 13734012\nstance = "supports"\n',
    )
    assert problems(evidence_kb) == [
        f"{EVIDENCE}:{start + 2}: claim 'scifact-10' does not cite 13734012 (it cites 32587939)",
        f"{EVIDENCE}:{start + 6}: no claim has the id 'scifact-99'",
        f"{EVIDENCE}:{start + 11}: claim 'ketamine-pain-6927e12e' belongs to topic "
        "'ketamine-pain': record its evidence in that topic's evidence.toml",
        f"{EVIDENCE}:{start + 17}: claim 'scifact-2' and citation 13734012 are already given "
        "a stance on line 3",
    ]


def test_relations(evidence_kb: Path) -> None:
    start = append(
        evidence_kb,
        EVIDENCE,
        '\n[[relation]]\nclaim = "scifact-10"\nrelation = "contradict"\nother = "scifact-11"\n'
        '\n[[relation]]\nclaim = "scifact-10"\nrelation = "refines"\nother = "scifact-10"\n'
        '\n[[relation]]\nclaim = "scifact-11"\nrelation = "duplicates"\nother = "nope"\n'
        '\n[[relation]]\nclaim = "scifact-11"\nrelation = "contradicts"\nother = "scifact-10"\n',
    )
    assert problems(evidence_kb) == [
        f"{EVIDENCE}:{start + 2}: unknown relation 'contradict' (did you mean 'contradicts'?); "
        "allowed: contradicts, refines, duplicates",
        f"{EVIDENCE}:{start + 8}: a claim cannot be related to itself",
        f"{EVIDENCE}:{start + 13}: no claim has the id 'nope'",
        f"{EVIDENCE}:{start + 17}: the same relation as on line 13",
    ]


def test_a_relation_may_cross_topics(evidence_kb: Path) -> None:
    append(
        evidence_kb,
        EVIDENCE,
        '\n[[relation]]\nclaim = "scifact-2"\nrelation = "refines"\n'
        'other = "ketamine-pain-6927e12e"\n',
    )
    kb = load_kb(evidence_kb)
    assert kb.claim("ketamine-pain-6927e12e").relations == (
        Relation("refines", "scifact-2", "ketamine-pain-6927e12e"),
    )
    assert not kb.claim("ketamine-pain-6927e12e").contested  # refines is not contradicts


def test_the_vocabulary_keeps_the_stances_the_code_relies_on(kb_dir: Path) -> None:
    line = edit(kb_dir, "stance.toml", 'id = "not-stated"', 'id = "unstated"')
    assert problems(kb_dir) == [
        "stance.toml:1: [[stance]] 'not-stated' is missing: evidencekb relies on it"
    ]
    assert line > 1


def test_unknown_fields_in_evidence(evidence_kb: Path) -> None:
    line = edit(evidence_kb, EVIDENCE, 'stance = "contradicts"', 'stance = "contradicts"\nby = "x"')
    assert problems(evidence_kb) == [
        f"{EVIDENCE}:{line + 1}: unknown field 'by'; allowed fields: "
        "citation, claim, quotes, stance"
    ]
