"""Every write to the registry. Keyword-only, validated, atomic."""

from compounds.services.registry import (
    building_create,
    building_update,
    community_create,
    compound_create,
    compound_update,
    dwelling_create,
    dwelling_update,
    grid_create,
    subdistrict_create,
)
from compounds.services.staff import staff_create

__all__ = [
    "building_create",
    "building_update",
    "community_create",
    "compound_create",
    "compound_update",
    "dwelling_create",
    "dwelling_update",
    "grid_create",
    "staff_create",
    "subdistrict_create",
]
