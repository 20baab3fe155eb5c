"""POST /api/v1/imports/registry/: the Excel import for scripts and other systems.

multipart/form-data with `file` (the .xlsx) and `dry_run` (true: only check and count,
as the preview page does). 200 with the report when every row is valid (written unless
dry_run), 400 with the same report and every bad row when not (nothing written). The
area gate applies through the service: rows outside the caller's area are bad rows.
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from compounds.importing import MAX_FILE_BYTES, registry_import_apply, registry_import_preview


class RegistryImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    dry_run = serializers.BooleanField(default=False)

    def validate_file(self, upload):
        if upload.size > MAX_FILE_BYTES:
            raise serializers.ValidationError(
                _("The file is larger than %(mb)d MB: split it into several files.")
                % {"mb": MAX_FILE_BYTES // (1024 * 1024)})
        return upload


class RegistryImportViewSet(viewsets.ViewSet):
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = RegistryImportSerializer

    @extend_schema(request={"multipart/form-data": RegistryImportSerializer},
                   responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
    def create(self, request):
        serializer = RegistryImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        service = (registry_import_preview if serializer.validated_data["dry_run"]
                   else registry_import_apply)
        report = service(user=request.user, fileobj=upload)
        body = report.as_dict()
        if report.is_valid:
            return Response(body)
        body["detail"] = _("The file has problems; nothing was written.")
        return Response(body, status=status.HTTP_400_BAD_REQUEST)


routes = [("imports/registry", RegistryImportViewSet, "registry-import")]
