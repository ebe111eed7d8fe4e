"""What kind of value a question asks for, as the selector reads it."""

from __future__ import annotations

import pytest

from qa.expected import asks_for_a_time, expected_kinds


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
