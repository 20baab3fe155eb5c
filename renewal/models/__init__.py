from renewal.models.commitments import PublicCommitment
from renewal.models.programme import (
    STAGE_ORDER,
    TRANSITIONS,
    Batch,
    DeliveryModel,
    Project,
    Stage,
    StageChange,
)
from renewal.models.quality import (
    RECTIFICATION_TRANSITIONS,
    Inspection,
    InspectionKind,
    InspectionLevel,
    Rectification,
    RectificationEvent,
    RectificationStatus,
)
from renewal.models.works import (
    ItemCategory,
    ItemStatus,
    ProgressPhoto,
    ProgressReport,
    QuantityUnit,
    WorkItem,
    WorkItemType,
)

__all__ = [
    "RECTIFICATION_TRANSITIONS", "STAGE_ORDER", "TRANSITIONS", "Batch", "DeliveryModel",
    "Inspection", "InspectionKind", "InspectionLevel", "ItemCategory", "ItemStatus",
    "ProgressPhoto", "ProgressReport", "Project", "PublicCommitment", "QuantityUnit",
    "Rectification", "RectificationEvent", "RectificationStatus", "Stage", "StageChange",
    "WorkItem", "WorkItemType",
]
