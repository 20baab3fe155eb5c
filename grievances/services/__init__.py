"""Writes of residents' issues: intake.py (taking an issue in) and handling.py (the
state machine, assignment, replies, merges, the resident's rating and reopening, the
escalation ladder and the automatic closing)."""
