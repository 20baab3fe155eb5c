"""How every state machine's legal next moves look in the API: `[{"to", "label"}]`,
enough for a client to draw the buttons the staff pages show."""

from collections.abc import Mapping

from django.db.models import TextChoices
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from compounds.statemachine import available_moves


class MoveSerializer(serializers.Serializer):
    to = serializers.CharField()
    label = serializers.CharField()


@extend_schema_field(MoveSerializer(many=True))
class AvailableMovesField(serializers.Field):
    """Read-only: the moves from the object's current state (`source` names the field)."""

    def __init__(self, *, transitions: Mapping[str, tuple[str, ...]],
                 choices: type[TextChoices], **kwargs):
        self.transitions, self.choices = transitions, choices
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, current: str) -> list[dict]:
        return [
            {"to": value, "label": str(label)}
            for value, label in available_moves(
                current=current, transitions=self.transitions, choices=self.choices
            )
        ]
