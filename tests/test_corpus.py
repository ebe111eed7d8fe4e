"""corpus: article files -> Documents and sentence Passages whose offsets point into the file text."""

from __future__ import annotations

import logging
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

import qa.corpus
from qa.corpus import load_corpus
from helpers import refuse_to_open

DOC_000 = "000_4c55fd7b660ac3d2"
DOC_001 = "001_ba940ec7e439679a"
DOC_003 = "003_512a320aae66a7a6"
DOC_004 = "004_7480487250863ef3"
SEED_IDS = [DOC_000, DOC_001, DOC_003, DOC_004]


@pytest.fixture(scope="module")
def seeds(seeds_dir):
    return load_corpus(seeds_dir)


def passages_of(corpus, doc_id):
    return [p for p in corpus.passages if p.doc_id == doc_id]


def first_line(text: str) -> str:
    return next(line.strip() for line in text.splitlines() if line.strip())


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- offsets --------------------------------------------------------------------------------------


def test_the_seed_corpus_loads_all_four_articles(seeds):
    assert [d.doc_id for d in seeds.documents] == SEED_IDS
    assert seeds.skipped == []
    assert all(passages_of(seeds, doc_id) for doc_id in SEED_IDS)


@pytest.mark.parametrize("doc_id", SEED_IDS)
def test_document_text_is_the_file_text_exactly(seeds, doc_id):
    doc = seeds.document(doc_id)
    assert doc.text == Path(doc.path).read_text(encoding="utf-8")


@pytest.mark.parametrize("doc_id", SEED_IDS)
def test_every_passage_is_an_exact_slice_of_its_document(seeds, doc_id):
    doc = seeds.document(doc_id)
    for p in passages_of(seeds, doc_id):
        assert doc.text[p.start : p.end] == p.text, p.passage_id


# --- sentence segmentation ---------------------------------------------------------------------------


@pytest.mark.parametrize("phrase", ["Feb. 14-16", "Reuters on Feb. 7", "U.S."])
def test_abbreviations_do_not_end_a_sentence(seeds, phrase):
    checked = 0
    for doc in seeds.documents:
        at = doc.text.find(phrase)
        while at >= 0:
            end = at + len(phrase)
            touching = [p for p in passages_of(seeds, doc.doc_id) if p.start < end and at < p.end]
            # Occurrences in a headline are in no passage at all; that is fine.
            if touching:
                assert len(touching) == 1, f"{phrase!r} split across {[p.text for p in touching]}"
                (p,) = touching
                # Inside one passage, and the sentence goes on after it: not cut at the dot.
                assert p.start <= at and end < p.end, p.text
                checked += 1
            at = doc.text.find(phrase, end)
    assert checked > 0, f"no body occurrence of {phrase!r} in the seeds"


def test_a_hard_wrapped_sentence_stays_one_passage(tmp_path):
    text = (
        "Harbor council approves budget\n\n"
        "The harbor council approved the new budget\n"
        "after a long debate on Tuesday. The vote was seven to two.\n"
    )
    write(tmp_path, "wrapped.txt", text)
    corpus = load_corpus(tmp_path)
    doc = corpus.documents[0]

    wrapped = "The harbor council approved the new budget\nafter a long debate on Tuesday."
    assert [p.text for p in corpus.passages] == [wrapped, "The vote was seven to two."]
    p = corpus.passages[0]
    assert (p.start, p.end) == (text.index(wrapped), text.index(wrapped) + len(wrapped))
    assert doc.text[p.start : p.end] == p.text


def test_the_hard_wrapped_sentence_of_seed_003_is_one_passage(seeds):
    # 003 breaks "...a mineral partnership with President\nDonald Trump as part of..." over two lines.
    [p] = [p for p in passages_of(seeds, DOC_003) if "with President\nDonald Trump" in p.text]
    assert p.text.startswith("In an interview with Reuters on Friday")
    assert p.text.endswith("amid its ongoing conflict with Russia.")


# --- titles and dates --------------------------------------------------------------------------------


def test_a_headline_first_line_is_the_title(seeds):
    assert seeds.document(DOC_000).title == "Zelensky Proposes Rare Earths Deal with U.S. Amid War Efforts"


def test_a_dateline_is_split_into_headline_title_and_date(seeds):
    # 004's first line: " date 2025-02-04 <headline> Tuesday, February 4, 2025 8:58:00 PM"
    doc = seeds.document(DOC_004)
    assert doc.title == "Zelensky signals willingness for U.S.-Ukraine partnerships in rare earth mining"
    assert doc.date == date(2025, 2, 4)


@pytest.mark.parametrize("doc_id", [DOC_001, DOC_003])
def test_an_article_without_headline_gets_a_short_title_cut_on_a_word_boundary(seeds, doc_id):
    doc = seeds.document(doc_id)
    line = first_line(doc.text)
    assert len(line) > 91  # the first line is a long body sentence, so it must be shortened
    assert 0 < len(doc.title) <= 91
    stem = doc.title.removesuffix("…")
    assert line.startswith(stem)
    assert line[len(stem)] == " ", f"title cut inside a word: {doc.title!r}"


def article(tmp_path: Path, text: str):
    write(tmp_path, "article.txt", text)
    return load_corpus(tmp_path)


def test_an_article_opening_with_a_dateline_is_titled_by_its_first_sentence_without_it(tmp_path):
    doc = article(tmp_path, "BRISTOW, Oct 9 (Newswire) - A former mayor of Linthorpe was jailed for seven years.\n\n"
                            "He denied the charges.\n").documents[0]
    assert doc.title == "A former mayor of Linthorpe was jailed for seven years"


def test_title_and_date_lines_above_an_article_give_its_title_and_date_and_are_no_passage(tmp_path):
    corpus = article(tmp_path, "Title: Halden airport opens new terminal\nDate: 2026-03-14\nAuthor: Jo Lund\n\n"
                               "The new terminal opened on Saturday. It cost 210 million crowns.\n")
    doc = corpus.documents[0]
    assert (doc.title, doc.date) == ("Halden airport opens new terminal", date(2026, 3, 14))
    assert [p.text for p in corpus.passages] == ["The new terminal opened on Saturday.", "It cost 210 million crowns."]
    assert all(doc.text[p.start:p.end] == p.text for p in corpus.passages)


def test_front_matter_gives_the_title_and_date_and_is_no_passage(tmp_path):
    corpus = article(tmp_path, "---\ntitle: Rail link opens\npublished: Friday 27 November 2020\n---\n"
                               "The rail link opened on Friday.\n")
    doc = corpus.documents[0]
    assert (doc.title, doc.date) == ("Rail link opens", date(2020, 11, 27))
    assert [p.text for p in corpus.passages] == ["The rail link opened on Friday."]


def test_a_byline_under_the_headline_gives_the_date(tmp_path):
    corpus = article(tmp_path, "Rail link opens\nBy Megan Carlisle, The Canadian Press | Wednesday, May 22, 2019\n\n"
                               "The rail link opened on Wednesday.\n")
    assert (corpus.documents[0].title, corpus.documents[0].date) == ("Rail link opens", date(2019, 5, 22))


@pytest.mark.parametrize("lead", ["By Sam Ruiz | Tuesday, January 20, 2026\n",  # right under the headline
                                  "\nBy Sam Ruiz, Staff Reporter\nTuesday, January 20, 2026 8:58 PM\n"])
def test_the_byline_and_date_lines_under_the_headline_are_no_passage(tmp_path, lead):
    corpus = article(tmp_path, f"Brenmoor bills climb\n{lead}\nHouseholds face a 9 percent rise. By March 2026 it was law.\n")
    assert [p.text for p in corpus.passages] == ["Households face a 9 percent rise.", "By March 2026 it was law."]


def test_a_short_first_line_under_a_title_field_is_kept_as_reporting(tmp_path):
    corpus = article(tmp_path, "Title: Brenmoor bills climb\n\nHouseholds face a rise\n\nThe regulator agreed.\n")
    assert [p.text for p in corpus.passages] == ["Households face a rise", "The regulator agreed."]


MARKDOWN_ARTICLE = """# Magnitude 6.4 earthquake strikes southern Peru

*Published March 3, 2026*

A magnitude 6.4 earthquake struck southern Peru on Tuesday, officials said.

## What we know

- The quake hit at 4:12 a.m. local time
- It was 35 km deep, according to the U.S. Geological Survey.
1. At least 340 homes were damaged.
"""


def test_markdown_headings_are_no_passages_and_each_list_item_is_one_without_its_marker(tmp_path):
    write(tmp_path, "quake.md", MARKDOWN_ARTICLE)
    corpus = load_corpus(tmp_path)
    doc = corpus.documents[0]
    assert (doc.title, doc.date) == ("Magnitude 6.4 earthquake strikes southern Peru", date(2026, 3, 3))
    assert [p.text for p in corpus.passages] == [
        "A magnitude 6.4 earthquake struck southern Peru on Tuesday, officials said.",
        "The quake hit at 4:12 a.m. local time",
        "It was 35 km deep, according to the U.S. Geological Survey.",
        "At least 340 homes were damaged.",
    ]
    assert all(doc.text[p.start:p.end] == p.text for p in corpus.passages)


COPIED_FROM_A_BROWSER = """City council approves new cycling bridge over the Ems

Share on Facebook
Share on Twitter
Email

Published: 14 May 2024 | Updated: 15 May 2024

(Photo: City of Lingen)

The city council of Lingen voted 31 to 12 on Tuesday to build a 240-metre cycling bridge.

Advertisement

The bridge will cost 18.5 million euros. Construction is due to start in spring 2025.

Related articles:
- Lingen's cyclists demand safer routes
- Ems flood defences to be raised
"""


def test_share_bars_ad_slots_credits_and_related_links_are_no_passages_and_the_date_is_read(tmp_path):
    corpus = article(tmp_path, COPIED_FROM_A_BROWSER)
    assert corpus.documents[0].date == date(2024, 5, 14)
    assert [p.text for p in corpus.passages] == [
        "The city council of Lingen voted 31 to 12 on Tuesday to build a 240-metre cycling bridge.",
        "The bridge will cost 18.5 million euros.",
        "Construction is due to start in spring 2025.",
    ]


def test_a_list_that_closes_an_article_without_a_related_heading_is_reporting(tmp_path):
    corpus = article(tmp_path, "Council votes\n\nThe council agreed three things:\n- a new bridge\n- a bike park\n")
    assert [p.text for p in corpus.passages] == ["The council agreed three things:", "a new bridge", "a bike park"]


def test_a_dateline_opening_the_first_paragraph_gives_the_date(tmp_path):
    corpus = article(tmp_path, "Danish lender's profit jumps\n\nCOPENHAGEN, Sept 17, 2021 (Reuters) - Danish lender "
                               "Nordhavn Bank said on Friday, March 3, 2020 that profit rose.\n")
    assert corpus.documents[0].date == date(2021, 9, 17)


@pytest.mark.parametrize("opening", ["The council voted on March 3, 2020 to approve - finally - the budget.",
                                     "MANILA, Aug 8 (Reuters) - An inquiry found the ferry was overloaded."])
def test_a_date_in_the_reporting_or_a_dateline_without_a_year_is_no_article_date(tmp_path, opening):
    assert article(tmp_path, f"Budget vote\n\n{opening}\n").documents[0].date is None


# --- boilerplate ---------------------------------------------------------------------------------------


def test_a_headline_repeated_as_a_body_line_is_not_a_passage(seeds):
    headline = seeds.document(DOC_000).title
    assert all(headline not in p.text for p in passages_of(seeds, DOC_000))


def test_the_reader_comment_disclaimer_is_not_a_passage(seeds):
    doc = seeds.document(DOC_000)
    disclaimer = doc.text.index("The comments posted here are not from")
    assert all(p.end <= disclaimer for p in passages_of(seeds, DOC_000))
    # The reporting just before it is kept.
    assert passages_of(seeds, DOC_000)[-1].text.startswith("As Ukraine navigates")


def test_another_sites_comment_policy_and_copyright_footer_are_not_passages(tmp_path):
    # Not 000's wording: the rule must recognise site furniture in general, not one footer.
    body = (
        "The harbor council approved the new budget on Tuesday. "
        "The vote was seven to two after a long debate."
    )
    footer = (
        "Reader comments are moderated and may take a while to appear. "
        "Please keep the discussion civil; personal attacks will be removed.\n\n"
        "Copyright 2025 Harbor Times Media. All rights reserved.\n"
    )
    write(tmp_path, "harbor.txt", f"Harbor council approves budget\n\n{body}\n\n{footer}")
    corpus = load_corpus(tmp_path)
    kept_furniture = [p.text for p in corpus.passages if p.text in footer]
    assert kept_furniture == []
    assert [p.text for p in corpus.passages] == [
        "The harbor council approved the new budget on Tuesday.",
        "The vote was seven to two after a long debate.",
    ]


# --- files that are not articles ----------------------------------------------------------------------


def warnings_naming(caplog, path: Path) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.levelno == logging.WARNING and str(path) in r.getMessage()
    ]


BAD_FILES = {
    "empty.txt": b"",
    "blank.txt": b" \n\t\n   \n",
    "binary.txt": b"PK\x03\x04\x00\x00\x08\x00 some zipped bytes\x00\x00",
    "noise.bin.txt": bytes(range(128, 256)) * 4,  # no NUL byte, and still no text in any encoding
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_bad_file_is_skipped_with_one_warning_and_the_rest_loads(corpus_dir, caplog, name):
    bad = corpus_dir / name
    bad.write_bytes(BAD_FILES[name])
    with caplog.at_level(logging.WARNING, logger="qa.corpus"):
        corpus = load_corpus(corpus_dir)
    assert [d.doc_id for d in corpus.documents] == SEED_IDS
    assert [s.path for s in corpus.skipped] == [str(bad)]
    assert len(warnings_naming(caplog, bad)) == 1


def test_an_unreadable_file_is_skipped_with_one_warning(corpus_dir, caplog, monkeypatch):
    # We run as root, where chmod 000 still reads; inject the PermissionError for one path instead.
    locked = write(corpus_dir, "locked.txt", "A perfectly good article nobody may read.\n")
    refuse_to_open(monkeypatch, locked)
    with caplog.at_level(logging.WARNING, logger="qa.corpus"):
        corpus = load_corpus(corpus_dir)
    assert [d.doc_id for d in corpus.documents] == SEED_IDS
    assert [s.path for s in corpus.skipped] == [str(locked)]
    assert len(warnings_naming(caplog, locked)) == 1


def test_a_too_large_file_is_skipped_with_one_warning(corpus_dir, caplog, monkeypatch):
    monkeypatch.setattr(qa.corpus, "MAX_FILE_BYTES", 10_000)  # the seeds are about 3 kB each
    dump = write(corpus_dir, "dump.txt", "This line is repeated to make a dump.\n" * 1000)
    with caplog.at_level(logging.WARNING, logger="qa.corpus"):
        corpus = load_corpus(corpus_dir)
    assert [d.doc_id for d in corpus.documents] == SEED_IDS
    assert [s.path for s in corpus.skipped] == [str(dump)]
    assert len(warnings_naming(caplog, dump)) == 1


def test_a_duplicate_article_under_another_name_is_skipped_as_a_duplicate(corpus_dir, caplog):
    copy = corpus_dir / "zz_reposted.txt"
    shutil.copy(corpus_dir / f"{DOC_001}.txt", copy)
    with caplog.at_level(logging.WARNING, logger="qa.corpus"):
        corpus = load_corpus(corpus_dir)
    assert [d.doc_id for d in corpus.documents] == SEED_IDS
    [skipped] = corpus.skipped
    assert skipped.path == str(copy)
    assert "duplicate" in skipped.reason and DOC_001 in skipped.reason
    assert len(warnings_naming(caplog, copy)) == 1


# --- text encodings ------------------------------------------------------------------------------------

# Articles saved by older editors: each is read in its own encoding, never dropped.
LEGACY_ARTICLES = {
    "cp1252": "Kyiv caf\u00e9 owners \u201cwelcome\u201d the deal \u2014 worth \u20ac500 billion.\r\n"
              "Espa\u00f1a said the na\u00efve plan had failed.\r\n",
    "latin-1": "Caf\u00e9 owners in Kyiv said the Kursk advance was 9 km.\nThe se\u00f1or agreed.\n",
    "cp1250": "Wa\u0142\u0119sa powiedzia\u0142, \u017ce \u015bwiat si\u0119 zmieni\u0142.\n"
              "P\u0159\u00edli\u0161 \u017elu\u0165ou\u010dk\u00fd k\u016f\u0148 \u00fap\u011bl \u010f\u00e1belsk\u00e9 \u00f3dy.\n",
    "cp1251": "\u041a\u0438\u0435\u0432 \u0441\u043a\u0430\u0437\u0430\u043b, \u0447\u0442\u043e "
              "\u043f\u0435\u0440\u0435\u0433\u043e\u0432\u043e\u0440\u044b \u043f\u0440\u043e\u0434\u043e\u043b"
              "\u0436\u0430\u0442\u0441\u044f.\n",
    "utf-16": "Saved by Notepad as \u201cUnicode\u201d: UTF-16 with a byte order mark.\n",
}


@pytest.mark.parametrize("saved_as", LEGACY_ARTICLES)
def test_an_article_that_is_not_utf8_is_read_in_its_own_encoding_and_says_which(tmp_path, caplog, saved_as):
    text = LEGACY_ARTICLES[saved_as]
    path = tmp_path / "legacy.txt"
    path.write_bytes(text.encode(saved_as))
    with caplog.at_level(logging.WARNING, logger="qa.corpus"):
        corpus = load_corpus(tmp_path)
    [doc] = corpus.documents
    assert doc.text == text.replace("\r\n", "\n")  # the words as written, line endings as read_text gives
    assert doc.text == path.read_text(encoding=doc.encoding)  # offsets are into the text as decoded
    assert all(doc.text[p.start : p.end] == p.text for p in corpus.passages)
    assert [r.getMessage() for r in warnings_naming(caplog, path)] == [f"read {path} as {doc.encoding} (not UTF-8)"]


LINE_ENDINGS = {
    "Windows (CR LF)": b"Kyiv offered a deal.\r\nWashington answered on Friday.\r\n",
    "old Mac (lone CR)": b"Kyiv offered a deal.\rWashington answered on Friday.\r",
    "mixed, and a CR before a blank line": b"Kyiv offered a deal.\r\n\rWashington answered.\nOn Friday.\r\n",
}


@pytest.mark.parametrize("raw", LINE_ENDINGS.values(), ids=LINE_ENDINGS.keys())
def test_line_endings_are_read_as_read_text_reads_them_and_offsets_hold(tmp_path, raw):
    path = tmp_path / "endings.txt"
    path.write_bytes(raw)
    corpus = load_corpus(tmp_path)
    [doc] = corpus.documents
    assert doc.text == path.read_text(encoding="utf-8")
    assert "\r" not in doc.text
    assert all(doc.text[p.start : p.end] == p.text for p in corpus.passages)


# Short Western articles, where look-alike code pages read as well to a detector: cp1252 it is.
WESTERN = {
    "a Latin-1 file (cp1252 is its superset)": ("The se\u00f1or agreed, caf\u00e9 owners said.\n", "latin-1"),
    "accented names": ("Jos\u00e9 N\u00fa\u00f1ez said the talks would resume on Monday.\n", "cp1252"),
    "umlauts and curly quotes": ("Reporting by Angela M\u00fcller.\nThe caf\u00e9\u2019s owner agreed.\n", "cp1252"),
}


@pytest.mark.parametrize("text, saved_as", WESTERN.values(), ids=WESTERN.keys())
def test_a_short_western_article_is_read_as_cp1252_not_as_a_look_alike_code_page(tmp_path, text, saved_as):
    (tmp_path / "short.txt").write_bytes(text.encode(saved_as))
    [doc] = load_corpus(tmp_path).documents
    assert (doc.encoding, doc.text) == ("cp1252", text)  # not cp775's "Jos\u0137 N\u00b7\u00b1ez"


def test_utf8_articles_record_utf8(seeds):
    assert {d.encoding for d in seeds.documents} == {"utf-8"}


def test_a_file_given_as_the_corpus_folder_is_refused_saying_it_is_a_file(seeds_dir):
    article = next(seeds_dir.glob("*.txt"))
    with pytest.raises(FileNotFoundError, match=re.escape(f"{article} is a file, not a folder of articles")):
        load_corpus(article)


def test_a_missing_corpus_folder_is_refused_saying_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="corpus folder not found"):
        load_corpus(tmp_path / "nowhere")


# --- which files are articles ----------------------------------------------------------------------------


def test_markdown_files_are_read_and_other_suffixes_ignored(tmp_path):
    write(tmp_path, "notes.md", "# Port reopens\n\nThe port reopened on Monday after the storm.\n")
    write(tmp_path, "story.txt", "Storm hits coast\n\nThe storm reached the coast on Sunday night.\n")
    write(tmp_path, "page.html", "<p>The storm reached the coast.</p>\n")
    write(tmp_path, "data.json", '{"text": "The storm reached the coast."}\n')
    write(tmp_path, "README", "Not an article either.\n")
    corpus = load_corpus(tmp_path)
    assert sorted(d.doc_id for d in corpus.documents) == ["notes", "story"]
    assert corpus.skipped == []  # ignored, not skipped: they were never candidates
