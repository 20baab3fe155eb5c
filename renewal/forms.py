from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "The user name or password is wrong. Check both (passwords are case-sensitive) "
            "and try again."
        ),
        "inactive": _("This account is disabled. Ask the district office to enable it."),
    }
