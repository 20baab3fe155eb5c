from django.conf import settings


def portal(request) -> dict:
    return {
        "portal_title": settings.PORTAL_TITLE,
        "district_name": settings.PORTAL_DISTRICT_NAME,
    }
