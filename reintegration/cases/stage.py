"""The stage of the journey: one ladder, decided in one place from the records of the journey.

The ladder is read from the top: a case stands on the first rung whose question it answers
yes to. Cases answers the questions about its own records (closures, stays); a domain higher up
that keeps other records answers its rung's question, registered with ``decides`` when its
models are imported (employment for a job, training for a course). A rung nobody answers is an
error, never a case put on a lower rung by mistake.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Select, select

from ..extensions import db
from .models import Case, Closure, Stage

Question = Callable[[Case], bool]

# From the top: the first rung a case answers yes to is its stage.
LADDER = (
    Stage.CLOSED,
    Stage.IN_SHELTER,
    Stage.EMPLOYED,
    Stage.IN_TRAINING,
    Stage.DISCHARGED,
    Stage.RECEIVED,
)

_questions: dict[Stage, Question] = {}


def decides(stage: Stage) -> Callable[[Question], Question]:
    """Registers the question that puts a case on ``stage``: one domain answers each rung."""

    def register(question: Question) -> Question:
        known = _questions.get(stage)
        if known is not None and _name(known) != _name(question):
            raise LookupError(f"{_name(known)} already decides the stage {stage.value}")
        _questions[stage] = question
        return question

    return register


def _name(question: Question) -> str:
    return f"{question.__module__}.{question.__qualname__}"


def questions() -> dict[Stage, Question]:
    """Each rung's question, in the order of the ladder; an unanswered rung is an error."""
    missing = [stage.value for stage in LADDER if stage not in _questions]
    if missing:
        raise LookupError(
            f"No domain decides the stage {', '.join(missing)}: are its models imported?"
        )
    return {stage: _questions[stage] for stage in LADDER}


def any_row(query: Select) -> bool:
    """Whether ``query`` finds a row, in one EXISTS statement."""
    return db.session.scalar(select(query.exists())) or False


def refresh_stage(case: Case) -> None:
    """The one place that decides the stage from the records of the journey."""
    case.stage = next(stage for stage, asks in questions().items() if asks(case))


@decides(Stage.CLOSED)
def is_closed(case: Case) -> bool:
    return case.id is not None and any_row(
        select(Closure.id).where(Closure.case_id == case.id, Closure.is_open)
    )


@decides(Stage.IN_SHELTER)
def is_in_shelter(case: Case) -> bool:
    return any(stay.is_open for stay in case.stays)


@decides(Stage.DISCHARGED)
def has_stayed(case: Case) -> bool:
    return bool(case.stays)


@decides(Stage.RECEIVED)
def is_received(case: Case) -> bool:
    return True
