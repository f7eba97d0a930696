"""The stage ladder: every rung answered by one domain once the app is built, and a rung that
nobody answers an error rather than a case put on a lower rung."""

import pytest

from reintegration.cases import stage
from reintegration.cases.models import Stage
from reintegration.cases.stage import LADDER, decides, questions, refresh_stage


def test_every_rung_of_the_ladder_has_its_question(app):
    assert sorted(LADDER) == sorted(Stage)
    assert len(set(LADDER)) == len(LADDER)
    answered = questions()
    assert list(answered) == list(LADDER)
    assert answered[Stage.EMPLOYED].__module__ == "reintegration.employment.models"
    assert answered[Stage.IN_TRAINING].__module__ == "reintegration.training.models"


def test_a_rung_nobody_answers_fails_loudly(make, monkeypatch):
    case = make.case()
    monkeypatch.delitem(stage._questions, Stage.EMPLOYED)
    with pytest.raises(LookupError, match="employed"):
        refresh_stage(case)
    assert case.stage == Stage.RECEIVED


def test_a_rung_is_answered_by_one_domain_only(app):
    with pytest.raises(LookupError, match="in_training"):
        decides(Stage.IN_TRAINING)(lambda case: False)


def test_a_case_received_asks_every_rung_in_one_statement_each(make, count_queries):
    case = make.case()
    assert case.stays == []
    with count_queries() as counter:
        refresh_stage(case)
    # The closure, the job and the course: one EXISTS each; the stays are loaded already.
    assert counter.count == 3
    assert case.stage == Stage.RECEIVED
