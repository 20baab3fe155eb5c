"""The Outbox: every message sent once, failures kept for the next sweep, and a broker
that is down never fails what wrote the message."""

import logging
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from grievances import notify
from grievances.models import Grievance, Outbox
from grievances.notify import ConsoleSmsBackend, LocmemSmsBackend, send_outbox
from grievances.services.handling import grievance_assign, grievance_reopen
from grievances.tasks import enqueue_outbox_on_commit, send_outbox_task


def message(n=1, **fields):
    fields.setdefault("channel", "sms")
    fields.setdefault("to", "13812345678")
    return Outbox.objects.create(text=f"您的诉求已受理 {n}", dedupe_key=f"test:{n}", **fields)


def test_sent_once_under_double_runs(sms_outbox):
    first, second = message(1), message(2)
    assert send_outbox() == 2
    assert send_outbox() == 0
    assert sms_outbox == [("13812345678", "您的诉求已受理 1"),
                          ("13812345678", "您的诉求已受理 2")]
    for row in (first, second):
        row.refresh_from_db()
        assert row.sent_at is not None and row.attempts == 1


def test_limit(sms_outbox):
    for n in range(5):
        message(n)
    assert send_outbox(limit=2) == 2
    assert send_outbox() == 3
    assert len(sms_outbox) == 5


def test_a_row_taken_by_another_sender_is_skipped(sms_outbox):
    row = message()
    real_unsent = notify.unsent
    calls = {"n": 0}

    def unsent():
        # The second look (under the lock) finds the row already sent by another worker.
        calls["n"] += 1
        if calls["n"] == 2:
            Outbox.objects.filter(pk=row.pk).update(sent_at=timezone.now())
        return real_unsent()

    with mock.patch("grievances.notify.unsent", unsent):
        assert send_outbox() == 0
    assert sms_outbox == []


def test_failure_is_kept_and_retried(sms_outbox):
    row = message()
    with mock.patch.object(LocmemSmsBackend, "send", side_effect=ConnectionError("gateway down")):
        assert send_outbox() == 0
    row.refresh_from_db()
    assert (row.sent_at, row.attempts) == (None, 1)
    assert "gateway down" in row.last_error
    assert send_outbox() == 1
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 2
    assert len(sms_outbox) == 1


def test_email_and_inapp(sms_outbox):
    message(1, channel="email", to="li@example.cn")
    message(2, channel="inapp", to="east-a")
    assert send_outbox() == 2
    assert [m.to for m in mail.outbox] == [["li@example.cn"]]
    assert "您的诉求已受理 1" in mail.outbox[0].body
    assert sms_outbox == []
    assert not Outbox.objects.filter(sent_at__isnull=True).exists()


def test_console_backend_logs_the_number_masked(settings, caplog):
    settings.SMS_BACKEND = "grievances.notify.ConsoleSmsBackend"
    message()
    with caplog.at_level(logging.INFO, logger="grievances.notify"):
        assert send_outbox() == 1
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text
    assert isinstance(notify.get_sms_backend(), ConsoleSmsBackend)


def test_the_task_sends(sms_outbox):
    message()
    send_outbox_task.apply()
    assert len(sms_outbox) == 1


def test_enqueued_after_commit(sms_outbox, django_capture_on_commit_callbacks):
    message()
    with mock.patch.object(send_outbox_task, "delay") as delay, \
            django_capture_on_commit_callbacks(execute=True):
        enqueue_outbox_on_commit()
        delay.assert_not_called()  # not before the commit
    delay.assert_called_once_with()


def test_broker_down_does_not_fail_the_transaction(grievance, district_user, sms_outbox,
                                                   django_capture_on_commit_callbacks,
                                                   caplog):
    grievance_assign(by=district_user, grievance_id=grievance.pk, level="compound",
                     party="property_company", assignee_id=district_user.pk)
    Grievance.objects.filter(pk=grievance.pk).update(
        status="resolved", resolved_at=timezone.now())
    down = OperationalError("Error 111 connecting to redis:6379. Connection refused.")
    with mock.patch.object(send_outbox_task, "delay", side_effect=down) as delay, \
            caplog.at_level(logging.WARNING, logger="grievances.tasks"), \
            django_capture_on_commit_callbacks(execute=True):
        reopened = grievance_reopen(tracking_code=grievance.tracking_code, reason="还在漏")
    delay.assert_called_once()
    assert reopened.status == "reopened"
    row = Outbox.objects.get(grievance=grievance)  # kept for the periodic sweep
    assert row.sent_at is None and row.channel == "inapp"
    assert "periodic sweep" in caplog.text
    assert send_outbox() == 1  # the broker is back: beat's sweep sends it


@pytest.mark.parametrize("error", [ConnectionRefusedError("refused"), OSError("no route")])
def test_other_broker_errors_are_swallowed_too(error, django_capture_on_commit_callbacks):
    with mock.patch.object(send_outbox_task, "delay", side_effect=error), \
            django_capture_on_commit_callbacks(execute=True):
        enqueue_outbox_on_commit()


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_message_once(settings):
    """Two sweeps at the same moment (PostgreSQL: real row locks)."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks with skip_locked need PostgreSQL")
    settings.SMS_BACKEND = "grievances.notify.LocmemSmsBackend"
    LocmemSmsBackend.outbox = []
    for n in range(40):
        message(n)
    results, barrier = [], threading.Barrier(2)

    def run():
        barrier.wait()
        try:
            results.append(send_outbox())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 40
    assert sorted(text for _to, text in LocmemSmsBackend.outbox) == sorted(
        f"您的诉求已受理 {n}" for n in range(40))
    LocmemSmsBackend.outbox = []
