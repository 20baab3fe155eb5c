"""Staff accounts: a role and the area it may see."""


from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from compounds.models import (
    Community,
    Role,
    Subdistrict,
    User,
)


def _resolve_area(*, role: str, area: str | None) -> tuple[Subdistrict | None, Community | None]:
    if role == Role.DISTRICT:
        if area:
            raise ValidationError(
                {"area": _("A district account covers the whole district: give no area.")}
            )
        return None, None
    if not area:
        raise ValidationError(
            {"area": _("A %(role)s account needs an area.") % {"role": Role(role).label}}
        )
    if role == Role.SUBDISTRICT:
        subdistrict = Subdistrict.objects.filter(name=area).first()
        if subdistrict is None:
            raise ValidationError(
                {"area": _("No subdistrict is named “%(name)s”.") % {"name": area}}
            )
        return subdistrict, None
    community = Community.objects.filter(name=area).first()
    if community is None:
        raise ValidationError({"area": _("No community is named “%(name)s”.") % {"name": area}})
    return None, community


@transaction.atomic
def staff_create(
    *,
    username: str,
    password: str,
    role: str,
    area: str | None = None,
    full_name: str = "",
    email: str = "",
) -> User:
    """Create a staff account with a role and the area it may see."""
    if role not in Role.values:
        raise ValidationError(
            {
                "role": _("Unknown role “%(role)s”: use district, subdistrict or community.")
                % {"role": role}
            }
        )
    if User.objects.filter(username=username).exists():
        raise ValidationError(
            {"username": _("The user name “%(name)s” is taken.") % {"name": username}}
        )
    subdistrict, community = _resolve_area(role=role, area=area)
    user = User(
        username=username,
        role=role,
        subdistrict=subdistrict,
        community=community,
        first_name=full_name,
        email=email,
        is_staff=False,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


# --- The registry ----------------------------------------------------------------------
#
# Who may write where follows the area gate: a parent (subdistrict, community, compound,
# building) outside the acting user's area is a field error worded exactly like one that
# does not exist, so a refusal never confirms another area's records. Role rules (who may
# add subdistricts and communities at all) are an ApplicationError with status 403.
#
# Compound totals follow the records: once a compound has buildings, `building_count` is
# their number; once it has dwellings, `households` is their number and `floor_area` the
# sum of their areas. Until then the figures typed on the compound stand.
