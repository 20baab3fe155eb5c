"""Builders the programme tests share (plain functions; fixtures are in conftest.py)."""

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ExifTags, Image

from renewal.catalog import seed_work_item_types
from renewal.models import (
    Batch,
    Inspection,
    InspectionKind,
    InspectionLevel,
    ItemStatus,
    Project,
    Rectification,
    Stage,
    WorkItem,
    WorkItemType,
)
from renewal.services.quality import (
    rectification_create,
    rectification_transition,
)
from tests.conftest import make_staff

OPEN, SUBMITTED, VERIFIED = "open", "submitted", "verified"


def make_project(compound, *, stage=Stage.CONSTRUCTION, year=2025, name="第一批") -> Project:
    batch, _ = Batch.objects.get_or_create(year=year, name=name)
    return Project.objects.create(compound=compound, batch=batch, stage=stage)


def item_type(code: str) -> WorkItemType:
    return WorkItemType.objects.get(code=code)


def make_item(project, code="roads", planned="100", completed="0", budget="0", **fields):
    return WorkItem.objects.create(
        project=project, type=item_type(code), planned_quantity=Decimal(planned),
        completed_quantity=Decimal(completed), budget=Decimal(budget), **fields,
    )


def jpeg_bytes(size=(40, 30), gps=True) -> bytes:
    image = Image.new("RGB", size, (120, 90, 60))
    exif = Image.Exif()
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (35.0, 57.0, 30.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def photo(name="site.jpg", content=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content or jpeg_bytes(), content_type="image/jpeg")


def stored_files(root) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


class Quality:
    """Projects, work items, inspections and orders for the `area` fixture's compounds."""

    def __init__(self, area):
        seed_work_item_types(WorkItemType)
        self.area = area
        self.batch = Batch.objects.create(year=2023, name="第一批")
        self.today = timezone.localdate()

    def project(self, compound="长江路小区", stage=Stage.CONSTRUCTION, batch=None,
                **fields) -> Project:
        return Project.objects.create(
            compound=self.area.compounds[compound], batch=batch or self.batch, stage=stage,
            **fields,
        )

    def item(self, project, code="roof-waterproofing", status=ItemStatus.DONE,
             **fields) -> WorkItem:
        return WorkItem.objects.create(
            project=project, type=WorkItemType.objects.get(code=code),
            planned_quantity=Decimal("100"), budget=Decimal("1000"), status=status, **fields,
        )

    def inspection(self, project, *, kind=InspectionKind.ANNOUNCED,
                   level=InspectionLevel.DISTRICT, carried_out_on=None,
                   scheduled_for=None) -> Inspection:
        if carried_out_on is None and scheduled_for is None:
            carried_out_on = self.today
        return Inspection.objects.create(
            project=project, kind=kind, level=level, carried_out_on=carried_out_on,
            scheduled_for=scheduled_for,
        )

    def order(self, inspection, *, by, deadline=None, status=OPEN, **fields) -> Rectification:
        """An order made through the service, then moved (by a second person for the
        verification) to `status`."""
        order = rectification_create(
            by=by, inspection_id=inspection.pk, finding=fields.pop("finding", "屋面渗水"),
            responsible_party=fields.pop("responsible_party", "青岛建工"),
            deadline=deadline or inspection.date + dt.timedelta(days=10), **fields,
        )
        if status in (SUBMITTED, VERIFIED):
            order = rectification_transition(rectification_id=order.pk, to=SUBMITTED, by=by)
        if status == VERIFIED:
            order = rectification_transition(
                rectification_id=order.pk, to=VERIFIED, by=self.verifier
            )
        return order

    @property
    def verifier(self):
        if not hasattr(self, "_verifier"):
            self._verifier = make_staff("verifier", "district")
        return self._verifier
