"""The real settings, for the suite: development mode unless the environment says
otherwise (DEBUG=1 lets them start without a SECRET_KEY; Django's test runner still
serves the tests with DEBUG off), and a fast password hasher."""

import os

os.environ.setdefault("DEBUG", "1")

from renewal.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
