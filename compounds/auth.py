from django.contrib.auth.backends import ModelBackend

from compounds.models import User


class StaffBackend(ModelBackend):
    """ModelBackend that loads the signed-in user with its area in the same query,
    since every page shows the area and every gate reads it."""

    def get_user(self, user_id):
        user = (
            User._default_manager.select_related("subdistrict", "community")
            .filter(pk=user_id)
            .first()
        )
        return user if user and self.user_can_authenticate(user) else None
