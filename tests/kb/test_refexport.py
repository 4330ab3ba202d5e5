"""`ekb export --format csl-json|ris|bibtex|fhir`: the CSL-JSON, RIS and BibTeX files
re-import into the same records; the FHIR Bundle validates with fhir.resources."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.bundle import Bundle

from evidencekb.kb.exporter import export
from evidencekb.kb.importer import import_summary
from evidencekb.kb.load import load_kb
from evidencekb.kb.refimport import import_references
from fixtures import COHEN_2018, EVIDENCE_TOPIC, GUYATT_2008, REFERENCED_SUMMARY, SANTESSO_2020

BARE = REFERENCED_SUMMARY.split("\nReferences\n")[0] + "\n"


def medline(pmid: str, work: dict[str, Any], pg: str) -> str:
    lines = [f"PMID- {pmid}", f"TI  - {work['title']}.", f"LID - {work['doi']} [doi]"]
    lines += [f"AU  - {author}" for author in work["authors"]]
    lines += [f"TA  - {work['journal']}", f"VI  - {work['volume']}", f"PG  - {pg}"]
    lines += [f"DP  - {work['year']}", "PT  - Journal Article"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def described(empty_kb: Path, tmp_path: Path) -> Path:
    """Topic "grading": its summary's list, then PubMed's records for the rest."""
    source = tmp_path / "grade-summary.txt"
    source.write_text(REFERENCED_SUMMARY, encoding="utf-8")
    import_summary(empty_kb, source, "grading")
    records = tmp_path / "pubmed.nbib"
    records.write_text(
        "\n".join(
            [
                medline("29870458", COHEN_2018, "521-546"),
                medline("18436948", GUYATT_2008, "924-6"),
                medline("31711912", SANTESSO_2020, "126-135"),
            ]
        ),
        encoding="utf-8",
    )
    import_references(empty_kb, records, "grading")
    return empty_kb


def bare_copy(tmp_path: Path, kb_dir: Path) -> Path:
    """Another kb whose topic "grading" has the same statements and bare numbers."""
    other = tmp_path / "other"
    shutil.copytree(kb_dir, other, ignore=shutil.ignore_patterns("topics"))
    (other / "topics").mkdir()
    source = tmp_path / "bare.txt"
    source.write_text(BARE, encoding="utf-8")
    import_summary(other, source, "grading")
    return other


def records(kb_dir: Path, *leave_out: str) -> list[dict[str, object]]:
    leave = {"citation_text", "sentences", *leave_out}
    return [
        {k: v for k, v in r.to_dict().items() if k not in leave}
        for r in load_kb(kb_dir).topic("grading").references
    ]


# RIS has no PubMed or PMC id tag: they travel as note lines, as Zotero writes them.
@pytest.mark.parametrize(
    ("fmt", "suffix"), [("csl-json", ".json"), ("bibtex", ".bib"), ("ris", ".ris")]
)
def test_reference_formats_re_import_to_the_same_records(
    described: Path, tmp_path: Path, fmt: str, suffix: str
) -> None:
    written = export(load_kb(described), fmt, "grading")
    assert written == export(load_kb(described), fmt, "grading")  # deterministic
    path = tmp_path / f"grading{suffix}"
    path.write_text(written, encoding="utf-8")
    other = bare_copy(tmp_path, described)
    import_references(other, path, "grading")
    assert records(other) == records(described)
    assert records(described)[1]["authors"] == GUYATT_2008["authors"]


def test_csl_json_items_are_named_by_topic_and_number(described: Path) -> None:
    items = json.loads(export(load_kb(described), "csl-json"))
    assert [(item["id"], item["citation-number"]) for item in items] == [
        ("grading-1", 1),
        ("grading-2", 2),
        ("grading-3", 3),
    ]
    assert items[1]["author"][0] == {"family": "Guyatt", "given": "G. H."}
    assert items[1]["note"] == REFERENCED_SUMMARY.splitlines()[-2]


def test_the_seed_has_no_described_reference_to_export(repo_kb: Path) -> None:
    kb = load_kb(repo_kb)
    assert export(kb, "csl-json") == "[]\n"
    assert export(kb, "ris") == ""


def test_fhir_bundle_validates(described: Path) -> None:
    bundle = Bundle.model_validate_json(export(load_kb(described), "fhir"))
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    assert kinds == ["Citation"] * 3 + ["Evidence"] * 3
    guyatt = bundle.entry[1].resource
    assert guyatt.id == "grading-2"
    assert [i.value for i in guyatt.citedArtifact.identifier] == [
        "10.1136/bmj.39489.470347.AD",
        "18436948",
        "PMC2335261",
    ]
    evidence = bundle.entry[4].resource
    assert evidence.assertion.startswith("Failure to consider the quality of evidence")
    assert [a.resourceReference.reference for a in evidence.relatedArtifact] == [
        "Citation/grading-2"
    ]


def test_fhir_citation_classifies_the_work_by_its_publication_type(
    described: Path, tmp_path: Path
) -> None:
    """`design` is declared with FHIR's cited-artifact-classification-type code
    (registry.py): each work with designs is classified by them, in words, and one
    without has no classification. PubMed types Cohen 2018 as a practice guideline
    (tests/test_design_field.py). Before: the Citation had no publication type."""
    records = tmp_path / "pubmed.nbib"
    cohen_record = medline("29870458", COHEN_2018, "521-546") + "PT  - Practice Guideline\n"
    others = [
        medline("18436948", GUYATT_2008, "924-6"),
        medline("31711912", SANTESSO_2020, "126-135"),
    ]
    records.write_text("\n".join([cohen_record, *others]), "utf-8")
    import_references(described, records, "grading")
    bundle = Bundle.model_validate_json(export(load_kb(described), "fhir"))
    cohen, guyatt = bundle.entry[0].resource, bundle.entry[1].resource
    (classification,) = cohen.citedArtifact.classification
    (kind,) = classification.type.coding
    assert (kind.system, kind.code, kind.display) == (
        "http://hl7.org/fhir/cited-artifact-classification-type",
        "publication-type",
        "Publication type",
    )
    assert [c.text for c in classification.classifier] == ["Practice guideline"]
    assert guyatt.citedArtifact.classification is None


def test_fhir_ids_are_at_most_64_characters_and_names_kept_whole(
    empty_kb: Path, tmp_path: Path
) -> None:
    """A topic's slug may run to 100 characters, a FHIR id to 64 (a strict server
    refuses a longer one): a longer claim id or work name is cut and ended by a hash of
    it whole, and kept whole as the resource's identifier; references follow it."""
    slug = "grading-of-recommendations-assessment-development-and-evaluation-in-practice"
    source = tmp_path / "grading.txt"
    source.write_text(REFERENCED_SUMMARY, encoding="utf-8")
    import_summary(empty_kb, source, slug)
    kb = load_kb(empty_kb)
    text = export(kb, "fhir")
    bundle = Bundle.model_validate_json(text)
    resources = [entry.resource for entry in bundle.entry]
    assert all(re.fullmatch(r"[A-Za-z0-9.-]{1,64}", r.id) for r in resources)
    assert len({r.id for r in resources}) == len(resources)
    names = [f"{slug}-{n}" for n in (1, 2, 3)] + [claim.id for claim in kb.claims]
    assert [r.identifier[0].value for r in resources] == names
    assert [r.id[:47] for r in resources] == [name[:47] for name in names]
    ids = {r.id for r in resources}
    links = [a.resourceReference.reference for r in resources[3:] for a in r.relatedArtifact]
    assert links and all(link.removeprefix("Citation/") in ids for link in links)
    assert list(json.loads(text)["entry"][0]["resource"])[:3] == [
        "resourceType",
        "id",
        "identifier",
    ]


def test_fhir_certainty_from_the_strength_label(repo_kb: Path) -> None:
    kb = load_kb(repo_kb)
    bundle = Bundle.model_validate_json(export(kb, "fhir"))
    assert len(bundle.entry) == len(kb.claims)  # the seed describes no reference
    stated = next(c for c in kb.claims if c.strength_method == "stated")
    evidence = next(e.resource for e in bundle.entry if e.resource.id == stated.id)
    certainty = evidence.certainty[0]
    assert certainty.rating.coding[0].code == stated.strength
    assert certainty.note[0].text == stated.strength_basis
    ungraded = next(c for c in kb.claims if c.strength == "not-stated" and c.citations)
    evidence = next(e.resource for e in bundle.entry if e.resource.id == ungraded.id)
    assert evidence.certainty[0].rating is None
    # A bare number is cited by its label: there is no Citation to point at.
    assert evidence.relatedArtifact[0].label == f"ketamine-pain-{ungraded.citations[0]}"


def test_fhir_evidence_gives_each_cited_works_stance(evidence_kb: Path) -> None:
    """RelatedArtifact.classifier carries the stance: its id, and its label."""
    kb = load_kb(evidence_kb)
    bundle = Bundle.model_validate_json(export(kb, "fhir", EVIDENCE_TOPIC))
    resources = {entry.resource.id: entry.resource for entry in bundle.entry}
    prion = resources["scifact-2"].relatedArtifact
    assert [a.resourceReference.reference for a in prion] == [f"Citation/{EVIDENCE_TOPIC}-13734012"]
    concept = prion[0].classifier[0]
    assert [(c.code, c.display) for c in concept.coding] == [("contradicts", "Contradicts")]
    assert concept.text == "Contradicts"
    assert [a.classifier[0].coding[0].code for a in resources["scifact-10"].relatedArtifact] == [
        "not-stated"
    ]
    # The seed records no stance: every cited work's is "not stated".
    seed = Bundle.model_validate_json(export(kb, "fhir", "ketamine-pain"))
    codes = {
        artifact.classifier[0].coding[0].code
        for entry in seed.entry
        for artifact in entry.resource.relatedArtifact or ()
    }
    assert codes == {"not-stated"}


def test_bibtex_titles_brace_the_words_whose_capitals_a_style_would_lower(
    described: Path,
) -> None:
    """BibTeX styles set a title in sentence case, lowering each letter not in braces:
    "GRADE" was printed "Grade". Each word holding a capital is braced, as Zotero does,
    but a first word's lone initial capital, which styles keep."""
    titles = re.findall(r"^\ttitle = (.*),$", export(load_kb(described), "bibtex"), re.M)
    assert titles[1:] == [
        "{{GRADE}: an emerging consensus on rating quality of evidence and strength of "
        "recommendations}",
        "{{GRADE} guidelines 26: informative statements to communicate the findings of "
        "systematic reviews of interventions}",
    ]
    assert titles[0].startswith("{Consensus {Guidelines} on the {Use} of {Intravenous}")
