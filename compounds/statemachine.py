"""The one check every explicit state machine makes before a move."""

from collections.abc import Mapping

from django.db.models import TextChoices
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError


def check_move(
    *, current: str, target: str, transitions: Mapping[str, tuple[str, ...]],
    choices: type[TextChoices],
) -> bool:
    """True when `current → target` is a legal move, False when it is a repeat (a no-op).
    An unknown state or an illegal move raises ApplicationError (400) saying which moves
    are allowed from here."""
    labels = dict(choices.choices)
    if target not in labels:
        raise ApplicationError(
            _("Unknown state “%(to)s”.") % {"to": target},
            extra={"allowed": list(transitions.get(current, ()))},
        )
    if target == current:
        return False
    allowed = transitions.get(current, ())
    if target not in allowed:
        names = "、".join(str(labels[a]) for a in allowed) or _("none")
        raise ApplicationError(
            _("Cannot move from “%(from)s” to “%(to)s”. Allowed from here: %(allowed)s.")
            % {"from": labels[current], "to": labels[target], "allowed": names},
            extra={"allowed": list(allowed)},
        )
    return True


def available_moves(
    *, current: str, transitions: Mapping[str, tuple[str, ...]], choices: type[TextChoices]
) -> list[tuple[str, str]]:
    """(value, label) of the moves the UI may offer from `current`."""
    labels = dict(choices.choices)
    return [(value, labels[value]) for value in transitions.get(current, ())]
