"""Server-side SVG charts of consultation: the support curve of a topic.

Built from escaped pieces (format_html) only: a topic's title never reaches the SVG
unescaped. The data are exact Decimals; floats appear only as pixel coordinates.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from consultation.models import Rule, Topic
from consultation.selectors.history import SupportPoint, consent_series

# portal.css's CJK stack, so the labels read the same as the page around them.
FONT = ("'PingFang SC', 'Noto Sans CJK SC', 'Microsoft YaHei', 'Source Han Sans SC', "
        "system-ui, sans-serif")
WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 64, 20, 40
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
X_TICKS = 5
INK, MUTED, GRID, LINE, MARK = "#1f2933", "#616e7c", "#d9dee4", "#1e7a3c", "#a15c00"


def support_threshold(topic: Topic) -> Decimal:
    """The share drawn as the pass line: a consent-share topic's own threshold, 3/4 for
    the Civil Code's major matters, 1/2 otherwise (indicative: the Civil Code counts the
    participating area and owners, the curve counts dwellings)."""
    if topic.rule == Rule.CONSENT_SHARE and topic.threshold is not None:
        return topic.threshold
    if topic.rule == Rule.CIVIL_CODE_MAJOR:
        return Decimal("0.75")
    return Decimal("0.5")


def percent(share: Decimal) -> str:
    """0.9940 → "99.4", 1 → "100", 0.23 → "23" (one decimal at most, no float)."""
    value = (share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{value:f}"
    return text[:-2] if text.endswith(".0") else text


def _y(share: Decimal) -> float:
    return TOP + PLOT_H * (1 - float(share))


def _xs(points: list[SupportPoint]):
    """The time domain and a function placing a moment on it."""
    start, end = points[0].at, points[-1].at
    if end == start:  # one moment: an hour either side
        start, end = start - timedelta(hours=1), end + timedelta(hours=1)
    span = (end - start).total_seconds()

    def x(at) -> float:
        return LEFT + PLOT_W * (at - start).total_seconds() / span

    return start, end, x


def _summary(points: list[SupportPoint], threshold: Decimal) -> str:
    first, last = points[0].share, points[-1].share
    values = {"first": percent(first), "last": percent(last)}
    if last > first:
        moved = _("Support rose from %(first)s%% to %(last)s%%.") % values
    elif last < first:
        moved = _("Support fell from %(first)s%% to %(last)s%%.") % values
    else:
        moved = _("Support stayed at %(last)s%%.") % values
    now = _("%(agree)s of %(eligible)s dwellings agree; the line to reach is %(threshold)s%%. "
            "Votes cast: %(votes)s.") % {
        "agree": points[-1].agree_dwellings, "eligible": points[-1].eligible_dwellings,
        "threshold": percent(threshold), "votes": len(points)}
    return f"{moved} {now}"


def _x_ticks(start, end, x) -> list[SafeString]:
    span = end - start
    pattern = "m-d" if span >= timedelta(days=2) else "m-d H:i"
    if timezone.localtime(start).year != timezone.localtime(end).year:
        pattern = "Y-m-d"
    ticks, last_label = [], None
    for i in range(X_TICKS):
        at = start + span * i / (X_TICKS - 1)
        label = date_format(timezone.localtime(at), pattern)
        if label == last_label:
            continue
        last_label = label
        anchor = "start" if i == 0 else "end" if i == X_TICKS - 1 else "middle"
        px = f"{x(at):.1f}"
        ticks.append(format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
            '<text x="{}" y="{}" text-anchor="{}" fill="{}">{}</text>',
            px, TOP + PLOT_H, px, TOP + PLOT_H + 5, MUTED,
            px, TOP + PLOT_H + 20, anchor, MUTED, label,
        ))
    return ticks


def _y_ticks() -> list[SafeString]:
    ticks = []
    for value in (Decimal("0"), Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), Decimal("1")):
        py = f"{_y(value):.1f}"
        ticks.append(format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
            '<text x="{}" y="{}" text-anchor="end" fill="{}">{}%</text>',
            LEFT, py, LEFT + PLOT_W, py, GRID, LEFT - 6, f"{_y(value) + 4:.1f}", MUTED,
            percent(value),
        ))
    return ticks


def _step_path(points: list[SupportPoint], start, end, x) -> str:
    """A step line: support holds from one vote to the next."""
    parts = [f"M{x(start):.1f} {_y(Decimal(0)):.1f}"]
    for p in points:
        parts.append(f"H{x(p.at):.1f} V{_y(p.share):.1f}")
    parts.append(f"H{x(end):.1f}")
    return " ".join(parts)


def topic_support_chart(*, topic: Topic) -> SafeString:
    """The support curve of a topic as inline SVG (two queries), or an empty-state text
    when nobody has voted yet."""
    points = consent_series(topic=topic)
    if not points:
        return format_html('<p class="empty support-chart-empty">{}</p>',
                           _("No votes yet: the support curve starts with the first vote."))
    threshold = support_threshold(topic)
    start, end, x = _xs(points)
    last = points[-1]
    ident = f"support-{topic.pk}"
    ty = f"{_y(threshold):.1f}"
    body = [
        format_html('<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>',
                    ident, _("Support for “%(title)s” over time") % {"title": topic.title},
                    ident, _summary(points, threshold)),
        *_y_ticks(),
        *_x_ticks(start, end, x),
        format_html(
            '<line class="threshold" x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" '
            'stroke-width="1.5" stroke-dasharray="6 4"/>'
            '<text x="{}" y="{}" fill="{}">{}</text>',
            LEFT, ty, LEFT + PLOT_W, ty, MARK, LEFT + 4, f"{_y(threshold) - 5:.1f}", MARK,
            _("threshold %(percent)s%%") % {"percent": percent(threshold)},
        ),
        format_html(
            '<path class="support-line" d="{}" fill="none" stroke="{}" stroke-width="2.5" '
            'stroke-linejoin="round"/>', _step_path(points, start, end, x), LINE,
        ),
        format_html(
            '<circle cx="{}" cy="{}" r="4" fill="{}"/>'
            '<text class="last-value" x="{}" y="{}" fill="{}" font-weight="600">{}%</text>',
            f"{x(end):.1f}", f"{_y(last.share):.1f}", LINE,
            f"{x(end) + 7:.1f}", f"{_y(last.share) + 4:.1f}", INK, percent(last.share),
        ),
    ]
    return format_html(
        '<svg class="support-chart" role="img" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMidYMid meet" aria-labelledby="{}-title {}-desc" '
        'font-family="{}" font-size="12">{}</svg>',
        WIDTH, HEIGHT, ident, ident, FONT, mark_safe("".join(body)),
    )
