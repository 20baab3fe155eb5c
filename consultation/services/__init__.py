"""Writes of the consultation app, one module per family."""

from consultation.services.topics import ballot_cast, ballot_record, topic_create, topic_move

__all__ = ["ballot_cast", "ballot_record", "topic_create", "topic_move"]
