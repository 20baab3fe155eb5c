"""The layout of a city-hotline export (12345 / 青诉即办): its columns and how the
hotline's words map to ours.

The headers are the exports' own Chinese strings, not translated (an export or template
read with the English interface must still import); what is said *about* them goes
through gettext. Several names are accepted for a column because exports differ by city
and by year.
"""

from django.utils.translation import gettext as _

from compounds.importing.tabular import Column, Layout, squeeze
from compounds.xlsx import xlsx_bytes
from grievances.models import Rating, Status

COLUMNS: tuple[Column, ...] = (
    Column("external_id", "工单编号", True, ("工单号", "工单编码", "编号", "受理编号")),
    Column("received_at", "受理时间", True, ("来电时间", "登记时间", "受理日期", "创建时间")),
    Column("community", "社区", False, ("所属社区", "社区名称"), cell_optional=True),
    Column("compound", "小区", True, ("小区名称", "所在小区", "所属小区")),
    Column("building", "楼号", False, ("楼栋", "楼栋号", "楼号/楼栋"), cell_optional=True),
    Column("category", "问题类别", True, ("诉求类别", "问题分类", "诉求分类", "类别")),
    Column("description", "诉求内容", True, ("问题描述", "来电内容", "诉求描述", "工单内容")),
    Column("name", "联系人", False, ("来电人", "诉求人", "姓名"), cell_optional=True),
    Column("phone", "联系电话", False, ("来电号码", "联系方式", "电话", "手机号"),
           cell_optional=True),
    Column("status", "办理状态", True, ("工单状态", "状态", "处理状态"), cell_optional=True),
    Column("rating", "满意度", False, ("满意度评价", "回访满意度", "评价结果"),
           cell_optional=True),
)


def normalize(value: object) -> str:
    """How a header or a coded cell (status, rating) is compared: no spaces, half-width
    brackets and slashes."""
    return squeeze(value).replace("／", "/")


# .xlsx (its first sheet) or .csv
LAYOUT = Layout(COLUMNS, normalize=normalize, csv=True)
COLUMN_BY_KEY = LAYOUT.by_key

# The hotline's 办理状态 → our status. A status is applied only when it moves the issue
# forward (see services.STATUS_RANK); words not listed here are an error on the row.
STATUS_WORDS: dict[str, str] = {
    **dict.fromkeys(("待受理", "已受理", "已登记", "待处理", "未处理", "新建", "受理"),
                    Status.RECEIVED),
    **dict.fromkeys(("已签收", "已接收", "已接单", "签收"), Status.ACCEPTED),
    **dict.fromkeys(("已派单", "已转办", "已交办", "已分派", "待办理", "派单"), Status.ASSIGNED),
    **dict.fromkeys(("办理中", "处理中", "正在办理", "延期办理", "整改中"), Status.IN_PROGRESS),
    **dict.fromkeys(("已办结", "办结", "已办理", "已解决", "已处理", "已答复", "已回复", "待回访"),
                    Status.RESOLVED),
    **dict.fromkeys(("已回访", "已关闭", "已归档", "已评价", "已结案", "结案"), Status.CLOSED),
    **dict.fromkeys(("已退回", "退回", "不予受理", "无效工单", "已驳回"), Status.REJECTED),
}
RATING_WORDS: dict[str, str] = {
    **dict.fromkeys(("满意", "非常满意", "很满意"), Rating.SATISFIED),
    **dict.fromkeys(("基本满意", "比较满意", "一般"), Rating.BASICALLY),
    **dict.fromkeys(("不满意", "非常不满意", "很不满意"), Rating.UNSATISFIED),
    **dict.fromkeys(("未评价", "未回访", "无", "暂无", "-"), ""),
}

# The hotline's own categories are a different (deeper) list: after an exact match of
# our category name or code, the first keyword found in the hotline's text decides.
# A keyword whose category staff have removed is skipped; nothing found → 其他 (other),
# with a warning and the hotline's category kept in front of the description.
CATEGORY_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("漏水", "leak"), ("渗水", "leak"), ("渗漏", "leak"), ("防水", "leak"),
    ("堵塞", "blocked_pipe"), ("管道", "blocked_pipe"), ("下水", "blocked_pipe"),
    ("排水", "blocked_pipe"), ("化粪池", "blocked_pipe"),
    ("电梯", "elevator"),
    ("扰民", "construction_nuisance"), ("噪音", "construction_nuisance"),
    ("噪声", "construction_nuisance"),
    ("停车", "parking"), ("车位", "parking"),
    ("安全", "safety"), ("隐患", "safety"), ("消防", "safety"),
    ("卫生", "sanitation"), ("垃圾", "sanitation"),
    ("照明", "lighting"), ("路灯", "lighting"),
    ("绿化", "greenery"), ("树木", "greenery"),
    ("道路", "road"), ("路面", "road"),
    ("物业", "property_service"),
)
OTHER_CATEGORY = "other"

EXAMPLE_ROWS = (
    ("QD2405010001", "2024-05-01 09:30", "南屯社区", "长江路小区", "3",
     "漏水渗水", "3号楼顶层漏水，天花板掉灰。", "张女士", "13800000000", "办理中", ""),
    ("QD2405010002", "2024-05-01 10:05", "", "育才苑", "",
     "城乡建设/路灯不亮", "小区东门路灯不亮一周。", "", "", "已办结", "满意"),
)


def column_notes() -> list[tuple[str, str, str]]:
    """(column, required or not, how to fill it in): the import page."""
    required = _("required")
    optional = _("optional")
    return [
        ("工单编号", required, _(
            "The hotline's work-order number. The same number again updates that issue "
            "instead of creating a second one.")),
        ("受理时间", required, _(
            "When the hotline received the call, e.g. 2024-05-01 09:30 (Beijing time).")),
        ("社区", optional, _(
            "Needed only when two compounds in your area have the same name.")),
        ("小区", required, _("A compound in your area, by its name in the registry.")),
        ("楼号", optional, _(
            "A building of that compound, e.g. 3 or 3号楼. A building not in the registry "
            "is kept in the description.")),
        ("问题类别", required, _(
            "Our category names (漏水渗水, 电梯 …) or the hotline's own; the hotline's are "
            "matched by keyword. One that matches nothing is filed under 其他 with a "
            "warning, its text kept in front of the description.")),
        ("诉求内容", required, _("What the resident reported (at most 2000 characters).")),
        ("联系人 / 联系电话", optional, _(
            "The caller's name and phone, shown masked to most staff. An empty cell clears "
            "the stored value; leaving the column out keeps it.")),
        ("办理状态", required, _(
            "The hotline's status: 已受理, 已派单, 办理中, 已办结, 已回访/已关闭, 已退回 and "
            "their usual variants. A status is applied only when it moves the issue "
            "forward; an empty cell changes nothing.")),
        ("满意度", optional, _("满意, 基本满意 or 不满意; empty when not rated.")),
        ("", "", _(
            "Accepted: .xlsx, or .csv in UTF-8 (with or without BOM) or GB18030/GBK. "
            "Nothing is written unless every row is valid; importing the same file again "
            "changes nothing; a changed row updates its issue. Other columns are ignored.")),
    ]


def template_bytes() -> bytes:
    """The downloadable template: the headers and two example rows."""
    return xlsx_bytes(
        title="12345工单",
        columns=[(c.header, (lambda row, i=i: row[i])) for i, c in enumerate(COLUMNS)],
        rows=EXAMPLE_ROWS,
    )
