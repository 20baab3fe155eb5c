"""The registry everything else hangs on.

District (one per deployment) → subdistrict → community → grid → compound →
building → dwelling. Staff accounts carry a role and the area that role covers; what a
user may see is decided in `compounds.selectors`, never here.
"""

from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from compounds.privacy import mask_name, mask_phone

# Compounds finished before the end of 2000 qualify for the national programme.
ELIGIBLE_BUILD_YEAR_MAX = 2000


class Subdistrict(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("subdistrict")
        verbose_name_plural = _("subdistricts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    # Unique in the district, so an area can be named by its name alone (createstaff).
    name = models.CharField(_("name"), max_length=100, unique=True)
    subdistrict = models.ForeignKey(
        Subdistrict,
        on_delete=models.PROTECT,
        related_name="communities",
        verbose_name=_("subdistrict"),
    )
    # Shown to residents on public compound pages as the place to ask.
    office_phone = models.CharField(_("office phone"), max_length=30, blank=True)
    office_address = models.CharField(_("office address"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="grids", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=100)
    worker_name = models.CharField(_("grid worker"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["community", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="grid_unique_in_community")
        ]

    def __str__(self) -> str:
        return f"{self.community} {self.name}"


class PropertyManagement(models.TextChoices):
    NONE = "none", _("none")
    SELF = "self", _("self-managed")
    COMPANY = "company", _("professional company")
    SHARED = "shared", _("shared")


class Compound(models.Model):
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="compounds", verbose_name=_("community")
    )
    grid = models.ForeignKey(
        Grid,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="compounds",
        verbose_name=_("grid"),
    )
    build_year = models.PositiveSmallIntegerField(
        _("build year"), validators=[MinValueValidator(1900), MaxValueValidator(2100)]
    )
    households = models.PositiveIntegerField(_("households"), default=0)
    residents = models.PositiveIntegerField(_("residents"), default=0)
    building_count = models.PositiveIntegerField(_("buildings"), default=0)
    floor_area = models.DecimalField(
        _("floor area (m²)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    property_management = models.CharField(
        _("property management"),
        max_length=10,
        choices=PropertyManagement.choices,
        default=PropertyManagement.NONE,
    )
    has_owners_committee = models.BooleanField(_("owners' committee"), default=False)
    has_party_branch = models.BooleanField(_("party branch"), default=False)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")
        ordering = ["name", "id"]
        # The lists walk this index and stop after a page instead of sorting every row.
        indexes = [models.Index(fields=["name", "id"], name="compound_name_id")]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"], name="compound_unique_in_community"
            ),
            models.CheckConstraint(
                condition=Q(build_year__gte=1900) & Q(build_year__lte=2100),
                name="compound_build_year_range",
            ),
            models.CheckConstraint(
                condition=Q(floor_area__gte=0), name="compound_floor_area_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_eligible(self) -> bool:
        """Built before the end of 2000: eligible for the national programme."""
        return self.build_year <= ELIGIBLE_BUILD_YEAR_MAX


class Building(models.Model):
    compound = models.ForeignKey(
        Compound, on_delete=models.CASCADE, related_name="buildings", verbose_name=_("compound")
    )
    number = models.CharField(_("building number"), max_length=20)
    units = models.PositiveSmallIntegerField(_("units"), default=1)
    floors = models.PositiveSmallIntegerField(_("floors"), default=1)
    build_year = models.PositiveSmallIntegerField(_("build year"), null=True, blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["compound", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["compound", "number"], name="building_unique_in_compound"
            ),
        ]

    def __str__(self) -> str:
        return _("%(compound)s building %(number)s") % {
            "compound": self.compound.name,
            "number": self.number,
        }


class Dwelling(models.Model):
    """One exclusive part (专有部分). The same `owner_ref` means the same owner."""

    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="dwellings", verbose_name=_("building")
    )
    unit = models.CharField(_("unit"), max_length=10)
    number = models.CharField(_("dwelling number"), max_length=20)
    area = models.DecimalField(_("exclusive area (m²)"), max_digits=8, decimal_places=2)
    owner_ref = models.CharField(_("owner key"), max_length=64, db_index=True)
    owner_name = models.CharField(_("owner name"), max_length=50, blank=True)
    owner_phone = models.CharField(_("owner phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("dwelling")
        verbose_name_plural = _("dwellings")
        ordering = ["building", "unit", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "unit", "number"], name="dwelling_unique_in_building"
            ),
            models.CheckConstraint(condition=Q(area__gt=0), name="dwelling_area_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.building} {self.unit}-{self.number}"

    @property
    def masked_owner_name(self) -> str:
        return mask_name(self.owner_name)

    @property
    def masked_owner_phone(self) -> str:
        return mask_phone(self.owner_phone)


class Role(models.TextChoices):
    DISTRICT = "district", _("district office")
    SUBDISTRICT = "subdistrict", _("subdistrict")
    COMMUNITY = "community", _("community")


class User(AbstractUser):
    """A staff account. Its role and area decide what it may see (see selectors)."""

    role = models.CharField(_("role"), max_length=12, choices=Role.choices, blank=True)
    subdistrict = models.ForeignKey(
        Subdistrict,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("subdistrict"),
    )
    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("community"),
    )

    class Meta:
        verbose_name = _("staff account")
        verbose_name_plural = _("staff accounts")
        constraints = [
            # Each role names exactly the area it covers, and no other.
            models.CheckConstraint(
                name="user_role_matches_area",
                condition=(
                    Q(role="", subdistrict__isnull=True, community__isnull=True)
                    | Q(role="district", subdistrict__isnull=True, community__isnull=True)
                    | Q(role="subdistrict", subdistrict__isnull=False, community__isnull=True)
                    | Q(role="community", subdistrict__isnull=True, community__isnull=False)
                ),
            )
        ]

    @property
    def sees_owner_contact(self) -> bool:
        """Owners' names and phones are personal data: district and subdistrict staff
        read and record them; community staff see them masked."""
        return bool(
            self.is_active
            and (self.is_superuser or self.role in (Role.DISTRICT, Role.SUBDISTRICT))
        )

    @property
    def area_name(self) -> str:
        if self.role == Role.SUBDISTRICT and self.subdistrict_id:
            return self.subdistrict.name
        if self.role == Role.COMMUNITY and self.community_id:
            return self.community.name
        return ""
