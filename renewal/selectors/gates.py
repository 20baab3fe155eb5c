"""What must be true before a project may enter a stage.

Each gate is one row of `STAGE_GATES`: the stage it guards, a check, and the sentence
shown when the check fails. A later rule (Jinshui's 80 % household consent before
construction, illegal structures cleared …) is one more row here; the transition service
and the project page ask `stage_gate_missing` and need no change.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from consultation.selectors import renovation_plan_passed
from renewal.models import Project, Stage


@dataclass(frozen=True)
class StageGate:
    stage: str
    passes: Callable[[Project], bool]
    missing: str | Promise


def _renovation_plan_passed(project: Project) -> bool:
    # Looked up at call time, so the consultation app (and tests) decide the answer.
    return renovation_plan_passed(compound_id=project.compound_id)


STAGE_GATES: tuple[StageGate, ...] = (
    StageGate(
        stage=Stage.APPROVED,
        passes=_renovation_plan_passed,
        missing=_("The residents have not yet passed the compound's renovation plan by vote."),
    ),
)


def stage_gate_missing(project: Project, to: str) -> list[str]:
    """The conditions, in words, that still keep `project` from entering stage `to`
    (empty when it may enter)."""
    return [str(gate.missing) for gate in STAGE_GATES if gate.stage == to
            and not gate.passes(project)]


def gates_for_moves(project: Project, moves: list[tuple[str, str]]) -> dict[str, list[str]]:
    """{target stage: missing conditions} for the moves a page offers."""
    return {value: stage_gate_missing(project, value) for value, _label in moves}
