"""What `load_demo` prints: the counts and the demo logins."""

from django.conf import settings

from compounds.demo.data import (
    DEMO_PASSWORD,
    DEMO_STAFF,
    ROLE_LABELS,
)
from compounds.models import Compound, User


def demo_logins() -> list[dict[str, str]]:
    """The demo accounts that exist, for the summary table."""
    district = settings.PORTAL_DISTRICT_NAME
    users = {
        u.username: u
        for u in User.objects.filter(username__in=DEMO_STAFF).select_related(
            "subdistrict", "community"
        )
    }
    rows = []
    for username in DEMO_STAFF:
        user = users.get(username)
        if user is None:
            continue
        role = user.role or "-"
        label = ROLE_LABELS.get(user.role, "")
        if user.is_superuser:
            label = "超级管理员"
        rows.append(
            {
                "username": username,
                "password": DEMO_PASSWORD,
                "role": f"{role}（{label}）" if label else role,
                "area": user.area_name or f"{district}（全区）",
            }
        )
    return rows


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def write_summary(result: dict, stdout) -> None:
    """Print what exists and the demo logins (with a warning: they are demo credentials)."""
    district = settings.PORTAL_DISTRICT_NAME

    def out(line: str) -> None:
        stdout.write(line + "\n")  # works for plain streams and OutputWrapper alike

    labels = [
        ("subdistricts", "街道"),
        ("communities", "社区"),
        ("grids", "网格"),
        ("compounds", "小区"),
        ("buildings", "楼栋"),
        ("dwellings", "户"),
        ("users", "账号"),
    ]
    created = result.get("created", {})
    out(f"{district} 演示数据（demo district）:")
    for key, label in labels:
        out(
            f"  {_pad(label, 6)} {key:<13}{result[key]:>8}   (+{created.get(key, 0)} this run)"
        )
    eligible = Compound.objects.filter(build_year__lte=2000).count()
    out(f"  其中 2000 年底前建成（eligible）: {eligible} / {result['compounds']} 个小区")

    rows = demo_logins()
    headers = {"username": "username", "password": "password", "role": "role", "area": "area"}
    columns = list(headers)
    widths = {c: max([_width(headers[c])] + [_width(r[c]) for r in rows]) for c in columns}
    out("")
    out(
        "WARNING: these are DEMO credentials (演示账号), shared and public. "
        "Never use them on a real deployment."
    )
    out("  ".join(_pad(headers[c], widths[c]) for c in columns))
    out("  ".join("-" * widths[c] for c in columns))
    for row in rows:
        out("  ".join(_pad(row[c], widths[c]) for c in columns))
