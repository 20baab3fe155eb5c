"""The national catalogue of work items (国办发〔2020〕23号's three categories).

Warranty years follow the minimums of 《建设工程质量管理条例》 art. 40: roofs and
waterproofing 5 years; power, water and drainage lines, equipment installation and
finishing work 2 years. Roof, waterproofing and drainage items get the check before the
rainy season.
"""

# code, name, category, unit, warranty_years, seasonal_check
CATALOG: list[tuple[str, str, str, str, int, bool]] = [
    # 基础类 basic
    ("water-supply", "供水管网改造", "basic", "km", 2, False),
    ("sewage-separation", "雨污分流改造", "basic", "km", 2, True),
    ("drainage", "排水管网疏通改造", "basic", "km", 2, True),
    ("gas", "燃气管网改造", "basic", "km", 2, False),
    ("power", "供电线路改造", "basic", "km", 2, False),
    ("telecom", "通信线路规整", "basic", "km", 2, False),
    ("roof-waterproofing", "屋面防水", "basic", "m2", 5, True),
    ("roads", "道路修缮", "basic", "m2", 2, False),
    ("fire-safety", "消防设施", "basic", "chu", 2, False),
    ("lighting", "路灯照明", "basic", "zhan", 2, False),
    ("building-safety", "楼体安全加固", "basic", "chu", 5, False),
    ("illegal-structures", "拆除违建", "basic", "m2", 0, False),
    ("stairwell", "楼道整治", "basic", "chu", 2, False),
    # 完善类 improvement
    ("elevator", "加装电梯", "improvement", "bu", 2, False),
    ("parking", "新增停车位", "improvement", "ge", 2, False),
    ("ev-charging", "充电桩", "improvement", "ge", 2, False),
    ("barrier-free", "无障碍及适老化设施", "improvement", "chu", 2, False),
    ("greening", "绿化提升", "improvement", "m2", 1, False),
    ("garbage-sorting", "垃圾分类设施", "improvement", "chu", 2, False),
    ("facade", "外立面及保温", "improvement", "m2", 5, False),
    ("security", "安防监控", "improvement", "tao", 2, False),
    ("fibre", "光纤入户", "improvement", "hu", 2, False),
    # 提升类 upgrade
    ("elderly-care", "养老托育服务设施", "upgrade", "chu", 2, False),
    ("clinic", "社区卫生服务站", "upgrade", "chu", 2, False),
    ("canteen", "社区食堂", "upgrade", "chu", 2, False),
    ("convenience-shop", "便民商业设施", "upgrade", "chu", 2, False),
    ("smart-parking", "智慧停车", "upgrade", "tao", 2, False),
    ("cameras", "智能视频监控", "upgrade", "ge", 2, False),
    ("activity-space", "公共活动空间", "upgrade", "m2", 2, False),
]


def seed_work_item_types(WorkItemType) -> int:
    """Create or update the catalogue; safe to run any number of times."""
    for sort, (code, name, category, unit, warranty, seasonal) in enumerate(CATALOG):
        WorkItemType.objects.update_or_create(
            code=code,
            defaults={
                "name": name, "category": category, "unit": unit,
                "warranty_years": warranty, "seasonal_check": seasonal, "sort": sort,
            },
        )
    return len(CATALOG)
