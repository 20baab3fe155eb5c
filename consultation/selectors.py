"""Reads of the consultation app that other apps rely on.

The renovation programme asks `renovation_plan_passed` before a project may enter
`approved`. Topics, ballots and the Civil Code tally arrive with the consultation
issue; until then no compound has a passed renovation-plan topic, so the answer is
honestly no.
"""


def renovation_plan_passed(*, compound_id: int) -> bool:
    """Has a `renovation_plan` topic of this compound passed its vote?"""
    return False
