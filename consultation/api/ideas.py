"""API: golden ideas (金点子). List, retrieve, record one (a worker: POST), move it
(`POST {id}/transition/` {"to", "note", "public_reason"}). Adoption links a work item
and is renewal's (renewal/api/ideas.py). The list never carries the author's name or
phone; one idea carries them for district and subdistrict staff, masked otherwise."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from compounds.privacy import mask_name, mask_phone
from compounds.statemachine import available_moves
from consultation.filtersets_meetings import IdeaFilterSet
from consultation.models.ideas import IDEA_TRANSITIONS, Idea, IdeaSource, IdeaStatus
from consultation.selectors.ideas import idea_list
from consultation.services.ideas import idea_submit, idea_transition


class IdeaMoveSerializer(serializers.Serializer):
    to = serializers.CharField()
    label = serializers.CharField()


class IdeaSerializer(serializers.ModelSerializer):
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    building_number = serializers.CharField(source="building.number", read_only=True,
                                            default=None)
    work_items = serializers.SerializerMethodField()
    has_contact = serializers.SerializerMethodField()
    moves = serializers.SerializerMethodField()

    class Meta:
        model = Idea
        fields = [
            "id", "compound", "compound_name", "building", "building_number", "text",
            "source", "status", "public_reason", "work_items", "has_contact", "moves",
            "created_by", "created_at",
        ]
        read_only_fields = fields

    def get_work_items(self, idea: Idea) -> list[int]:
        """The work items the idea became (renewal holds the link)."""
        return [item.pk for item in idea.work_items.all()]

    def get_has_contact(self, idea: Idea) -> bool:
        return bool(idea.author_name or idea.author_phone)

    @extend_schema_field(IdeaMoveSerializer(many=True))
    def get_moves(self, idea: Idea) -> list[dict]:
        """The moves `transition` takes from here (adoption is renewal's endpoint)."""
        return [
            {"to": value, "label": str(label)}
            for value, label in available_moves(current=idea.status,
                                                transitions=IDEA_TRANSITIONS,
                                                choices=IdeaStatus)
            if value != IdeaStatus.ADOPTED
        ]


class IdeaDetailSerializer(IdeaSerializer):
    author_name = serializers.SerializerMethodField()
    author_phone = serializers.SerializerMethodField()

    class Meta(IdeaSerializer.Meta):
        fields = [*IdeaSerializer.Meta.fields, "author_name", "author_phone"]
        read_only_fields = fields

    def _sees(self) -> bool:
        return self.context["request"].user.sees_owner_contact

    def get_author_name(self, idea: Idea) -> str:
        return idea.author_name if self._sees() else mask_name(idea.author_name)

    def get_author_phone(self, idea: Idea) -> str:
        return idea.author_phone if self._sees() else mask_phone(idea.author_phone)


class IdeaCreateSerializer(serializers.Serializer):
    compound = serializers.IntegerField()
    text = serializers.CharField(allow_blank=True)
    source = serializers.CharField(required=False, default=IdeaSource.WORKER)
    building = serializers.IntegerField(required=False, allow_null=True)
    author_name = serializers.CharField(required=False, allow_blank=True, default="")
    author_phone = serializers.CharField(required=False, allow_blank=True, default="")


class IdeaTransitionSerializer(serializers.Serializer):
    to = serializers.CharField()
    note = serializers.CharField(required=False, allow_blank=True, default="")
    public_reason = serializers.CharField(
        required=False, allow_blank=True, default="",
        help_text="required with to=not_adopted: the public page shows it",
    )


class IdeaViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filterset_class = IdeaFilterSet

    def get_serializer_class(self):
        return IdeaDetailSerializer if self.action != "list" else IdeaSerializer

    def get_queryset(self):
        work_item = Idea._meta.get_field("work_items").related_model
        return idea_list(user=self.request.user).prefetch_related(
            Prefetch("work_items", queryset=work_item.objects.only("id", "idea_id"))
        )

    def _answer(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        idea = self.get_queryset().get(pk=pk)
        return Response(IdeaDetailSerializer(idea, context=self.get_serializer_context()).data,
                        status=code)

    @extend_schema(request=IdeaCreateSerializer, responses={201: IdeaDetailSerializer})
    def create(self, request):
        data = IdeaCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        idea = idea_submit(by=request.user, compound_id=fields.pop("compound"),
                           building_id=fields.pop("building", None), **fields)
        return self._answer(idea.pk, status.HTTP_201_CREATED)

    @extend_schema(request=IdeaTransitionSerializer, responses=IdeaDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        idea = self.get_object()
        data = IdeaTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        idea_transition(by=request.user, idea_id=idea.pk, **data.validated_data)
        return self._answer(idea.pk)


routes = [("consultation/ideas", IdeaViewSet, "consultation-idea")]
