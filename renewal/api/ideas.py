"""API: adopt a golden idea (金点子) — `POST /api/v1/idea-adoptions/` {"idea",
"work_item", "note"}. renewal holds the link (the work item's `idea`), so the endpoint is
renewal's; the answer is the idea as consultation's API shows it."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from consultation.api.ideas import IdeaDetailSerializer
from consultation.selectors.ideas import idea_list
from renewal.services.ideas import idea_adopt


class IdeaAdoptSerializer(serializers.Serializer):
    idea = serializers.IntegerField()
    work_item = serializers.IntegerField(help_text="a work item of the idea's compound")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class IdeaAdoptionViewSet(viewsets.GenericViewSet):
    serializer_class = IdeaAdoptSerializer

    @extend_schema(request=IdeaAdoptSerializer, responses={200: IdeaDetailSerializer})
    def create(self, request):
        data = IdeaAdoptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        idea = idea_adopt(by=request.user, idea_id=data.validated_data["idea"],
                          work_item_id=data.validated_data["work_item"],
                          note=data.validated_data["note"])
        idea = idea_list(user=request.user).prefetch_related("work_items").get(pk=idea.pk)
        body = IdeaDetailSerializer(idea, context={"request": request})
        return Response(body.data, status=status.HTTP_200_OK)


routes = [("idea-adoptions", IdeaAdoptionViewSet, "idea-adoption")]
