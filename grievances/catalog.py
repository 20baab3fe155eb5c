"""The categories residents choose from and the ladder's deadlines, as offices start
with them (staff edit both afterwards). Seeded by a data migration."""

# (code, name, urgent by default)
CATEGORIES = [
    ("leak", "漏水渗水", False),
    ("blocked_pipe", "管道堵塞", False),
    ("road", "道路破损", False),
    ("parking", "停车", False),
    ("construction_nuisance", "施工扰民", False),
    ("safety", "安全隐患", True),
    ("sanitation", "环境卫生", False),
    ("elevator", "电梯", False),
    ("lighting", "照明", False),
    ("greenery", "绿化", False),
    ("property_service", "物业服务", False),
    ("other", "其他", False),
]

# Hours each level has, by priority: urgent safety problems get 24 h at the compound.
DEADLINE_HOURS = {
    ("compound", "normal"): 72,
    ("community", "normal"): 120,
    ("subdistrict", "normal"): 168,
    ("district", "normal"): 240,
    ("compound", "urgent"): 24,
    ("community", "urgent"): 24,
    ("subdistrict", "urgent"): 48,
    ("district", "urgent"): 72,
}


def seed_catalog(category_model, deadline_model) -> None:
    """Create what is missing; never overwrite what staff changed."""
    for sort, (code, name, urgent) in enumerate(CATEGORIES):
        category_model.objects.get_or_create(
            code=code, defaults={"name": name, "urgent_by_default": urgent, "sort": sort}
        )
    for (level, priority), hours in DEADLINE_HOURS.items():
        deadline_model.objects.get_or_create(level=level, priority=priority,
                                             defaults={"hours": hours})
