from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from compounds.models import Role


class IsStaffMember(BasePermission):
    """A signed-in account with a role (or a superuser). What it sees is the area gate's
    business; this only keeps out the anonymous and role-less."""

    message = _("A staff account is needed for this.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and user.is_active
            and (user.is_superuser or user.role in Role.values)
        )
