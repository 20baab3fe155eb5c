"""Personal data shown masked (PIPL): enough to recognise, not to identify. One place
for every app: owners in the registry, reporters of residents' issues."""


def mask_name(name: str) -> str:
    """张三 → 张*; 欧阳娜娜 → 欧***."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else "*" * len(name)


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; too short to keep any digit → all stars."""
    phone = (phone or "").strip()
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"
