"""How the wordings news reports use for one fact become comparable values (qa.values)."""

from datetime import date
from pathlib import Path

import pytest

from qa.values import (canonical_name, compatible, dateline_date, dateline_end, find_names, find_values,
                       is_reporting_date, parse_value)

SEEDS = sorted((Path(__file__).resolve().parents[1] / "seeds").glob("*.txt"))
REPORTED = date(2025, 2, 9)  # a Sunday: "Friday" in a report of this day is Feb. 7


def day(month: int, day_of_month: int, year: int = 2025) -> int:
    return date(year, month, day_of_month).toordinal()


@pytest.mark.parametrize(("text", "kind", "low", "high"), [
    ("2.5", "number", 2.5, 2.5),
    ("one and a half", "number", 1.5, 1.5),
    ("twenty-four", "number", 24, 24),
    ("one hundred and twenty", "number", 120, 120),
    ("half", "percent", 50, 50),
    ("a third", "percent", 100 / 3, 100 / 3),
    ("two-thirds", "percent", 200 / 3, 200 / 3),
    ("one in five", "percent", 20, 20),
    ("fifty percent", "percent", 50, 50),
    ("20%", "percent", 20, 20),
    ("$14.8 trillion", "money", 14.8e12, 14.8e12),
    ("€3bn", "money", 3e9, 3e9),
    ("half a million", "number", 5e5, 5e5),
    ("18-24", "number", 18, 24),
    ("18 to 24", "number", 18, 24),
    ("eighteen to twenty-four", "number", 18, 24),
    ("between 18 and 24", "number", 18, 24),
    ("$10-15 billion", "money", 10e9, 15e9),
    ("7.4 crore rupees", "money", 7.4e7, 7.4e7),  # a crore is ten million, a lakh a hundred thousand
    ("2 lakh", "number", 2e5, 2e5),
    ("2.5 km", "length", 2.5, 2.5),
    ("1,500 metres", "length", 1.5, 1.5),
    ("1.5 miles", "length", 2.414016, 2.414016),
    ("2.5 km (1.5 miles)", "length", 2.414016, 2.5),
])
def test_quantity_reads_as_interval(text, kind, low, high):
    value = parse_value(text)
    assert (value.kind, value.low, value.high) == (kind, pytest.approx(low), pytest.approx(high))


@pytest.mark.parametrize(("text", "unit"), [
    ("$14.8 trillion", "USD"),
    ("14.8 trillion dollars", "USD"),
    ("€3bn", "EUR"),
    ("5 billion euros", "EUR"),
    ("£2m", "GBP"),
    ("14.8 million pounds", "GBP"),  # money written with its currency's name after it
    ("3.41 billion Danish crowns", "DKK"),
    ("1.9 billion Egyptian pounds", "EGP"),  # a country's pounds are not sterling
    ("5 million Faroese crowns", "FAROESE CROWNS"),  # a currency the table lacks is one of its own
    ("Rs 212 crore", "INR"),
    ("NOK 9 million", "NOK"),
    ("A$310 million", "AUD"),
    ("2.5 km", "km"),
    ("five miles", "km"),
    ("20%", "%"),
    ("about half", "%"),
    ("5 percentage points", "pp"),
    ("2.5", None),
])
def test_quantity_is_in_canonical_unit(text, unit):
    assert parse_value(text).unit == unit


@pytest.mark.parametrize(("text", "low", "high"), [
    ("about half", 45, 55),
    ("approximately 20%", 18, 22),
    ("nearly 20%", 18, 20),
    ("almost 20%", 18, 20),
    ("less than 20%", 0, 20),
    ("fewer than twenty percent", 0, 20),
    ("up to 20%", 0, 20),
    ("more than 70%", 70, 140),
    ("at least 12", 12, 24),
    ("about 18-24", 16.2, 26.4),
])
def test_hedge_widens_the_interval(text, low, high):
    value = parse_value(text)
    assert value.text == text
    assert value.low == pytest.approx(low)
    assert value.high == (None if high is None else pytest.approx(high))


@pytest.mark.parametrize(("text", "low", "at_least_up_to"), [
    ("thousands", 2000, 9999),
    ("tens of thousands", 20000, 99999),
    ("hundreds", 200, 999),
    ("several hundred", 200, 999),
    ("dozens", 24, 99),
])
def test_vague_quantity_is_a_wide_interval(text, low, at_least_up_to):
    value = parse_value(text)
    assert value.kind == "number"
    assert value.low == low and value.high >= at_least_up_to


@pytest.mark.parametrize(("a", "b", "same_fact"), [
    ("about half", "approximately half", True),
    ("about half", "50 percent", True),
    ("half", "fifty percent", True),
    ("a third", "33%", True),
    ("roughly a third", "about half", False),
    ("nearly 20%", "less than 20%", True),
    ("nearly 20%", "fewer than twenty percent", True),
    ("less than 20%", "fewer than twenty percent", True),
    ("less than 20%", "30%", False),
    ("70%", "more than 70%", True),
    ("more than 70%", "40%", False),
    ("at least 12", "15", True),  # a death toll that rose
    ("at least 12", "120", False),  # another count altogether
    ("more than 300", "hundreds", True),
    ("2.5 km (1.5 miles)", "about one and a half miles", True),
    ("2.5 km (1.5 miles)", "1.5 miles", True),
    ("2.5 km", "1.5 miles", True),
    ("2.5 km (1.5 miles)", "10 km", False),
    ("2.5 km (1.5 miles)", "five miles", False),
    ("1.5 miles", "1.6 miles", False),
    ("$14.8 trillion", "$15 trillion", False),
    ("$14.8 trillion", "about $15 trillion", True),
    ("$14.8 trillion", "$10 trillion", False),
    ("$14.8 trillion", "14.8 trillion dollars", True),
    ("18-24", "eighteen to twenty-four", True),
    ("18 to 24", "18-24", True),
    ("men aged 18-24", "30", False),
    ("thousands", "11,000", True),
    ("thousands", "hundreds", False),
    ("thousands", "500", False),
    ("six years", "seven years", False),  # a sentence of another length
    ("six years", "72 months", True),
    ("two to three years", "30 months", True),
    ("a seven-week trial", "seven years", False),  # the same figure, another unit
    ("more than 20 years", "25 years", True),
])
def test_same_fact_agrees_or_conflicts(a, b, same_fact):
    assert compatible(parse_value(a), parse_value(b)) is same_fact
    assert compatible(parse_value(b), parse_value(a)) is same_fact


@pytest.mark.parametrize(("a", "b"), [
    ("50 percent", "$50"),
    ("$5 billion", "€5 billion"),
    ("5%", "5 percentage points"),
    ("2.5 km", "2.5"),
    ("Friday", "2.5 km"),
    ("Reuters", "2014"),
    ("six years", "6"),  # a duration is not a count
])
def test_different_kinds_are_not_comparable(a, b):
    assert compatible(parse_value(a), parse_value(b)) is None


@pytest.mark.parametrize(("text", "reference", "kind", "first", "last", "year"), [
    ("Feb. 7", REPORTED, "date", day(2, 7), day(2, 7), 2025),
    ("Feb. 14-16", REPORTED, "date", day(2, 14), day(2, 16), 2025),
    ("Feb. 28 to March 2", REPORTED, "date", day(2, 28), day(3, 2), 2025),
    ("Dec. 30", date(2025, 1, 2), "date", day(12, 30, 2024), day(12, 30, 2024), 2024),
    ("Tuesday, February 4, 2025", None, "date", day(2, 4), day(2, 4), 2025),
    ("14 February 2025", None, "date", day(2, 14), day(2, 14), 2025),
    ("2025-02-04", None, "date", day(2, 4), day(2, 4), 2025),
    ("September 2024", None, "date", day(9, 1, 2024), day(9, 30, 2024), 2024),
    ("2014", None, "year", day(1, 1, 2014), day(12, 31, 2014), 2014),
    ("since 2014", None, "year", day(1, 1, 2014), day(12, 31, 2014), 2014),
    ("2014-2022", None, "year", day(1, 1, 2014), day(12, 31, 2022), None),
    ("the 1990s", None, "year", day(1, 1, 1990), day(12, 31, 1999), None),
])
def test_date_covers_its_days(text, reference, kind, first, last, year):
    value = parse_value(text, reference)
    assert (value.kind, value.low, value.high, value.year) == (kind, first, last, year)


def test_date_without_year_keeps_month_and_day():
    value = parse_value("Feb. 7")
    assert (value.kind, value.year, value.month, value.day, value.low) == ("date", None, 2, 7, None)


def test_date_written_with_weekday_keeps_it():
    assert parse_value("Tuesday, February 4, 2025").weekday == 1


@pytest.mark.parametrize(("a", "b", "same_fact"), [
    ("Feb. 14-16", "February 14-16", True),
    ("Feb. 14-16", "February fourteenth to sixteenth", True),
    ("Feb. 14-16", "Feb 14 to 16", True),
    ("Feb. 14-16", "Feb. 15", True),
    ("Feb. 14-16", "Feb. 7", False),
    ("Feb. 7", "February 7, 2025", True),
    ("September 2024", "Sept. 12, 2024", True),
    ("September 2024", "October 2024", False),
    ("2014", "since 2014", True),
    ("2014", "2015", False),
])
def test_date_spellings_agree_or_conflict(a, b, same_fact):
    assert compatible(parse_value(a), parse_value(b)) is same_fact


@pytest.mark.parametrize(("dated", "weekday", "reference", "allowed"), [
    ("Feb. 7", "Friday", None, {None, True}),
    ("Feb. 7", "Friday", REPORTED, {True}),
    ("Feb. 7", "Thursday", REPORTED, {False}),
    ("Feb. 14-16", "Sunday", REPORTED, {True}),
    ("Feb. 14-16", "Tuesday", REPORTED, {False}),
    ("Tuesday, February 4, 2025", "Tuesday", None, {True}),
    ("Tuesday, February 4, 2025", "Friday", None, {False}),
    ("February 2025", "Friday", REPORTED, {True}),  # Friday, February 7 is in it
    ("September 2024", "Friday", REPORTED, {None}),  # not the same fact: a month holds every weekday
    ("September 2024", "Friday", None, {None}),
])
def test_weekday_checked_against_date_when_year_known(dated, weekday, reference, allowed):
    assert compatible(parse_value(dated, reference), parse_value(weekday, reference)) in allowed


@pytest.mark.parametrize(("sentence", "reference", "text", "first", "last"), [
    ("In an interview with Reuters on Friday, Zelenskiy revealed", REPORTED, "Friday", day(2, 7), day(2, 7)),
    ("launched a new offensive on Thursday, advancing", REPORTED, "Thursday", day(2, 6), day(2, 6)),
    ("said on Friday", date(2025, 2, 7), "Friday", day(2, 7), day(2, 7)),
    ("said last Friday", date(2025, 2, 7), "last Friday", day(1, 31), day(1, 31)),
    ("plans to speak with Zelenskiy next week", REPORTED, "next week", day(2, 10), day(2, 16)),
    ("they met last week", REPORTED, "last week", day(1, 27), day(2, 2)),
    ("the talks yesterday", REPORTED, "yesterday", day(2, 8), day(2, 8)),
    ("In an interview with Reuters on Friday", None, "Friday", None, None),
])
def test_relative_day_resolves_against_report_date(sentence, reference, text, first, last):
    [value] = find_values(sentence, reference)
    assert (value.kind, value.text, value.low, value.high) == ("weekday", text, first, last)


@pytest.mark.parametrize(("sentence", "reference", "year"), [
    ("The plant will close next year.", date(2025, 6, 12), 2026),
    ("Sales fell last year.", date(2025, 6, 12), 2024),
    ("It opens later this year.", date(2025, 6, 12), 2025),
    ("The plant will close next year.", None, None),  # no report date: a year, but which one is unknown
])
def test_next_and_last_year_are_whole_years_counted_from_the_report(sentence, reference, year):
    [value] = find_values(sentence, reference)
    assert value.kind == "year" and sentence[value.start:value.end] == value.text
    assert value.year == year and (year is None or date.fromordinal(int(value.low)) == date(year, 1, 1))


@pytest.mark.parametrize(("sentence", "text", "kind", "first_year"), [
    ("The oldest pharmacy was founded in 1221.", "1221", "year", 1221),  # an older year after "in"
    ("It was used until the early 20th century.", "early 20th century", "year", 1901),
    ("Diocles lived in the 4th century BC.", "4th century BC", "year", None),  # days unknown before AD
    ("Kyiv proposed it last autumn.", "last autumn", "date", None),  # a season: no days (hemispheres)
    ("The plant will shut next spring.", "next spring", "date", None),
])
def test_centuries_seasons_and_older_years_are_times(sentence, text, kind, first_year):
    [value] = find_values(sentence)
    assert (value.kind, value.text, sentence[value.start:value.end]) == (kind, text, text)
    assert (value.low is None) == (first_year is None)
    assert first_year is None or date.fromordinal(int(value.low)).year == first_year


@pytest.mark.parametrize("sentence", ["About 1500 homes lost power.", "They met on Spring Street.", "Prices fall."])
def test_a_count_a_street_and_a_verb_are_not_times(sentence):
    assert all(v.kind not in ("year", "date") for v in find_values(sentence))


@pytest.mark.parametrize(("sentence", "day", "reported"), [
    ("Norvale Foods said on Thursday it will close its factory by March.", "Thursday", True),
    ("the company announced on June 12, with the loss of 620 jobs.", "June 12", True),
    ("Zelensky said in an interview with Reuters on Thursday that Ukraine was ready.", "Thursday", True),
    ("the government said Wednesday, the first increase in two years.", "Wednesday", True),
    ("told reporters at the White House on Monday", "Monday", True),
    ("He said the plant will close on Friday.", "Friday", False),  # what he said happens on Friday
    ("Workers were told of the plan at a meeting on Thursday morning.", "Thursday", False),
    ("Ukrainian troops launched a new offensive on Thursday.", "Thursday", False),
    ("In an interview with Reuters on Friday, Zelenskiy revealed a map.", "Friday", False),  # the interview's day
])
def test_the_day_a_statement_was_made_is_told_from_the_day_of_what_it_reports(sentence, day, reported):
    assert is_reporting_date(sentence, sentence.index(day)) is reported


@pytest.mark.parametrize(("sentence", "expected"), [
    ("advancing 2.5 km (1.5 miles) into Russia’s Kursk region", [("2.5 km (1.5 miles)", "length")]),
    ("targeting men aged 18-24, a group below the draft age", [("18-24", "number")]),
    ("ahead of the Munich Security Conference (Feb. 14-16), where", [("Feb. 14-16", "date")]),
    ("nearly 20% of Ukraine’s mineral-rich lands, including about half of its rare earth deposits",
     [("nearly 20%", "percent"), ("about half", "percent")]),
    ("fewer than twenty percent of these resources—approximately half of the rare earth deposits—are",
     [("fewer than twenty percent", "percent"), ("approximately half", "percent")]),
    ("Tuesday, February 4, 2025 8:58:00 PM", [("Tuesday, February 4, 2025", "date"), ("8:58:00 PM", "time")]),
    ("Russia has been occupying our land since 2014.", [("2014", "year")]),
    ("estimated to be $14.8 trillion, highlighting", [("$14.8 trillion", "money")]),
    ("More than 70% of these resources are concentrated in three regions",
     [("More than 70%", "percent"), ("three", "number")]),
    ("thousands of North Korean troops", [("thousands", "number")]),
    ("tens of thousands of people fled in the 1990s", [("tens of thousands", "number"), ("1990s", "year")]),
    ("between $10 billion and $15 billion", [("between $10 billion and $15 billion", "money")]),
    ("one of the largest deposits", []),
    ("in the first half of 2024", [("2024", "year")]),
    ("COVID-19 delayed the F-16 deliveries to the G7", []),
])
def test_find_values_reports_whole_values_only(sentence, expected):
    assert [(v.text, v.kind) for v in find_values(sentence)] == expected


@pytest.mark.parametrize("seed", SEEDS, ids=[path.stem for path in SEEDS])
def test_offsets_are_exact_on_seed_sentences(seed):
    for sentence in seed.read_text(encoding="utf-8").split(". "):
        values = find_values(sentence, REPORTED)
        for value in values:
            assert sentence[value.start:value.end] == value.text
        for before, after in zip(values, values[1:]):
            assert before.end <= after.start


def test_parse_value_offsets_point_into_the_input():
    text = "  about half of its rare earth deposits"
    value = parse_value(text)
    assert text[value.start:value.end] == value.text == "about half"


@pytest.mark.parametrize(("variant", "other"), [
    ("Zelenskiy", "Zelensky"),
    ("Zelenskyy", "Zelensky"),
    ("Zelenskiy’s", "Zelensky"),
    ("Volodymyr Zelenskyy's", "Volodymyr Zelensky"),
    ("Sergei", "Sergey"),
    ("U.S.", "US"),
    ("US", "United States"),
    ("the United States", "USA"),
    ("America", "U.S."),
    ("U.K.", "Britain"),
    ("United Kingdom", "UK"),
    ("EU", "European Union"),
    ("Reuters", "REUTERS"),
    ("reuters", "Reuters"),
])
def test_name_variants_share_a_key(variant, other):
    assert canonical_name(variant) == canonical_name(other)


@pytest.mark.parametrize(("name", "other"), [
    ("US", "UK"),
    ("Zelensky", "Putin"),
    ("Reuters", "Forbes"),
])
def test_different_names_keep_different_keys(name, other):
    assert canonical_name(name) != canonical_name(other)


@pytest.mark.parametrize(("a", "b", "same_fact"), [
    ("Reuters", "reuters", True),
    ("Zelenskiy", "Volodymyr Zelensky", True),
    ("the United States", "U.S.", True),
    ("North Korea and Iran", "Iran and North Korea", True),
    ("Reuters", "Forbes", False),
    ("Keith Kellogg", "Marco Rubio", False),
    ("security guarantees", "security assurances", None),
    ("ZCA", "Zembara Competition Authority", True),
    ("AMLO", "Anti-Money Laundering Office", True),
    ("NATO", "North Atlantic Treaty Organization", True),
    ("ZCA", "Competition Authority of Zembara", None),  # its letters in another order: not compared
    ("IMF", "World Bank", False),
    ("AP", "Reuters", False),
])
def test_span_without_a_value_is_compared_as_a_name(a, b, same_fact):
    value = parse_value(a)
    assert value.kind == "name"
    assert compatible(value, parse_value(b)) is same_fact


def test_a_title_alone_is_not_compared_with_the_full_name():
    assert compatible(parse_value("President Volodymyr Zelensky"), parse_value("the President")) is None


def test_names_in_a_sentence_are_found_at_exact_offsets_without_possessives_or_full_stops():
    sentence = "In Munich, Zelenskiy’s team met U.S. President Donald Trump's envoy from the United States."
    names = find_names(sentence)
    assert [n.text for n in names] == [
        "In Munich", "Zelenskiy", "U.S. President Donald Trump", "United States"
    ]
    assert all(sentence[n.start : n.end] == n.text for n in names)
    assert names[1].key == canonical_name("Zelensky")


def test_blank_span_has_no_value():
    assert parse_value("  ") is None


# --- datelines (qa.corpus reads an article's date with the same patterns) -------------------------


@pytest.mark.parametrize("line, day", [
    (" date 2025-02-04 Zelensky offers minerals Tuesday, February 4, 2025 8:58:00 PM", date(2025, 2, 4)),
    ("Kyiv, February 7, 2025 - Zelensky said", date(2025, 2, 7)),
    ("Published 7 Feb. 2025", date(2025, 2, 7)),
])
def test_a_dateline_gives_the_day_it_states(line, day):
    assert dateline_date(line) == day


@pytest.mark.parametrize("line", ["Zelensky offers minerals", "Talks on Feb. 14-16, 2025", "Report of May 2025",
                                  "code 2025-13-45"])
def test_a_line_without_one_whole_day_gives_no_dateline_date(line):
    assert dateline_date(line) is None


@pytest.mark.parametrize("sentence, dateline", [
    ("BRISTOW, March 3, 2025 - The Harbour Line opened.", "BRISTOW, March 3, 2025 - "),
    ("LYON, France, June 22, 2017 (AFP) - A court fined", "LYON, France, June 22, 2017 (AFP) - "),
    ("MANILA, Aug 8 (Reuters) - Divers found", "MANILA, Aug 8 (Reuters) - "),
    ("KYIV (Reuters) - Ukraine is ready", "KYIV (Reuters) - "),
    ("ST. PETERSBURG, 4 March 2025 – Officials said", "ST. PETERSBURG, 4 March 2025 – "),
    ("NATO — the alliance said", ""),  # capitals and a dash, but neither a day nor an agency
    ("US-China talks resumed on March 3", ""),
    ("The UN, March 3 - a statement", ""),
])
def test_a_dateline_opening_a_sentence_is_told_from_its_statement(sentence, dateline):
    assert sentence[:dateline_end(sentence)] == dateline


@pytest.mark.parametrize(("text", "value", "minutes"), [
    ("The quake hit at 4:12 a.m. local time.", "4:12 a.m. local time", 4 * 60 + 12),
    ("Polls closed at 10:30 GMT on Friday.", "10:30 GMT", 10 * 60 + 30),
    ("The match starts at 9 p.m.", "9 p.m.", 21 * 60),
    ("The shop opened at 8am", "8am", 8 * 60),
    ("The ceremony began at noon.", "noon", 12 * 60),
    ("It was posted at 20:58:00 on Tuesday.", "20:58:00", 20 * 60 + 58),
])
def test_a_clock_time_is_minutes_after_midnight(text, value, minutes):
    times = [v for v in find_values(text) if v.kind == "time"]
    assert [(v.text, v.low) for v in times] == [(value, minutes)]
    assert text[times[0].start:times[0].end] == value


@pytest.mark.parametrize("text", ["The team won 1:0 at home.", "a 24:7 ratio", "shares rose 4.5% to 3.12"])
def test_scores_ratios_and_decimals_are_no_clock_times(text):
    assert not [v for v in find_values(text) if v.kind == "time"]


@pytest.mark.parametrize(("a", "b", "same"), [
    ("4:12 a.m.", "04:12", True), ("4:12 a.m.", "4:30 a.m.", False), ("9 p.m.", "21:00", True),
])
def test_clock_times_meet_when_they_are_the_same_minute(a, b, same):
    assert compatible(parse_value(a), parse_value(b)) is same


@pytest.mark.parametrize(("text", "written", "days"), [
    ("He was jailed for six years.", "six years", 6 * 365.25),
    ("after a seven-week trial", "seven-week", 49),
    ("the strike lasted 48 hours", "48 hours", 2),
    ("for two decades", "two decades", 7305),
    ("jailed for six years and three months", "six years and three months", 6 * 365.25 + 3 * 30.4375),
    ("won in 4 hours 21 minutes, 38 seconds", "4 hours 21 minutes, 38 seconds", (4 * 3600 + 21 * 60 + 38) / 86400),
])
def test_a_figure_with_a_unit_of_time_is_a_duration_in_days(text, written, days):
    (value,) = find_values(text)
    assert (value.kind, value.text, value.unit) == ("duration", written, "day")
    assert value.low == value.high == pytest.approx(days)


@pytest.mark.parametrize("text", ["the 58-year-old chief executive", "She is 58 years old."])
def test_an_age_is_a_number_of_years_not_a_duration(text):
    (value,) = find_values(text)
    assert (value.kind, value.low) == ("number", 58)
