from django.conf import settings

# Which part of the desk a path belongs to: the main navigation marks it, and the section
# navigation under the top bar lists its pages.
SECTIONS = (
    ("programme", ("/programme/", "/works/", "/quality/", "/commitments/", "/ideas-adopt/")),
    ("consultation", ("/consultation/",)),
    ("grievances", ("/grievances/",)),
)


def portal(request) -> dict:
    path = getattr(request, "path", "")
    section = next((name for name, prefixes in SECTIONS
                    if path.startswith(prefixes)), "")
    return {
        "portal_title": settings.PORTAL_TITLE,
        "district_name": settings.PORTAL_DISTRICT_NAME,
        "nav_section": section,
    }
