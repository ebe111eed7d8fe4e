"""What kind of value a question asks for, as the selector reads it."""

from __future__ import annotations

import pytest

from datetime import date

from qa.expected import (asked_tense, asks_for_a_reason, asks_for_a_time, asks_yes_or_no, expected_kinds,
                         out_of_tense)
from qa.values import find_values


@pytest.mark.parametrize(
    "question, kinds",
    [
        ("In what year did the council first close the centre to traffic?", {"year", "date"}),
        ("Since when has Russia been occupying Ukrainian land?", {"year", "date"}),
        ("On which weekday did the operation start?", {"weekday"}),
        ("What day was the vote?", {"date", "weekday"}),
        ("How much did the tram line cost?", {"money"}),
        ("What was the budget of the bridge?", {"money"}),
        ("What is the Eastside Line's budget?", {"money"}),  # whose budget, said before it
        ("What was the project's total cost?", {"money"}),
        ("What share of trips are made by bike?", {"percent"}),
        ("What portion of the land is occupied?", {"percent"}),
        ("How many stations does the Harbour Line have?", {"number"}),
        ("How old is the chairman?", {"number"}),
        ("What is the population of the city?", {"number"}),
        ("How far did the troops advance?", {"length"}),
        ("How many kilometres did the troops gain?", {"length"}),  # a count of a unit is a length
        ("How many acres does the site cover?", {"area"}),
        ("How many dollars did the city pay?", {"money"}),
        ("How many members does the union have?", {"number"}),
        ("How long was the former mayor jailed for?", {"duration", "length", "year", "date"}),  # "since 2014" too
        ("How many years has he worked at the plant?", {"duration", "number"}),
        ("When will the tunnel open?", {"date", "year", "weekday", "time"}),
        ("At what time did the earthquake strike?", {"time"}),
    ],
)
def test_a_question_that_names_the_kind_of_its_answer_expects_that_kind(question, kinds):
    assert expected_kinds(question) == frozenset(kinds)


@pytest.mark.parametrize(
    "question",
    ["Who opened the tram line?", "Why did the council vote for the plan?", "What could the gas storage be used for?",
     "Which news agency interviewed Zelensky?", "how much", "What is the Harbour Line cost overrun blamed on?"],
)
def test_a_question_that_names_no_kind_expects_nothing_in_particular(question):
    assert expected_kinds(question) == frozenset()


@pytest.mark.parametrize(("question", "event"), [
    ("When will the factory close?", True),
    ("On what day did the offensive start?", True),
    ("When did Norvale announce the closure?", False),  # the day of the statement is the answer
    ("When did Zelensky give the interview?", False),
    ("When were the workers told?", False),
    ("When did the ministry release the figures?", False),
    ("Who owns the factory?", False),  # no time asked at all
])
def test_a_question_asks_when_something_happens_or_when_it_was_said(question, event):
    assert asks_for_a_time(question) is event


@pytest.mark.parametrize(("question", "tense"), [
    ("When will the plant close?", "future"),
    ("In what year will the bridge open?", "future"),
    ("When is the American president expected to call Zelensky?", "future"),
    ("When is the report due?", "future"),
    ("When did the plant open?", "past"),
    ("What year did the hospital open?", "past"),
    ("When was the hospital built?", "past"),
    ("When was the bridge expected to open?", None),  # an old expectation may still lie ahead
    ("When is the public meeting?", None),  # the present says neither
    ("How much will the line cost?", None),  # no time asked
])
def test_a_question_about_a_time_asks_what_is_ahead_or_what_has_happened(question, tense):
    assert asked_tense(question) == tense


REPORTED = date(2024, 3, 14)  # a Thursday


@pytest.mark.parametrize(("text", "tense", "wrong_side"), [
    ("since 1962", "future", True),  # wholly before the report
    ("by the end of next year", "future", False),
    ("in September 2023", "future", True),
    ("2024", "future", False),  # the report's own year reaches ahead
    ("next week", "past", True),
    ("in 1958", "past", False),
    ("last Tuesday", "future", True),
    ("on Monday", "future", False),  # a bare weekday is read as the last one by convention: never judged
])
def test_a_time_on_the_wrong_side_of_the_report_date_is_out_of_tense(text, tense, wrong_side):
    value = next(v for v in find_values(text, reference_date=REPORTED) if v.kind in ("year", "date", "weekday"))
    assert out_of_tense(value, tense, REPORTED) is wrong_side
    assert out_of_tense(value, tense, None) is False  # an undated report says nothing of before and after


@pytest.mark.parametrize(("question", "reason"), [
    ("Why is Carvell closing the plant?", True),
    ("why was the accountant cleared", True),
    ("For what reason did the council vote no?", True),
    ("What was the reason for the delay?", True),
    ("Who closed the plant?", False),
    ("What did the union say about why the plant closed?", False),  # asks what was said
])
def test_a_question_asks_for_a_reason(question, reason):
    assert asks_for_a_reason(question) is reason


@pytest.mark.parametrize(("question", "yes_or_no"), [
    ("Will Vance appeal?", True),
    ("Did the council approve the sale?", True),
    ("Has Ukraine offered the US its minerals?", True),
    ("Is the interview with Reuters or with AP?", False),  # a choice is answered by one of its words
    ("Who will appeal?", False),
    ("When did the council approve the sale?", False),
])
def test_a_question_answered_by_yes_or_no_is_told_apart(question, yes_or_no):
    assert asks_yes_or_no(question) is yes_or_no
