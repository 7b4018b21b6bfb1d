"""The rules of sending, without a database (casedesk/mail/outgoing.py) and the SMTP URL
(casedesk/config.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from casedesk.config import Smtp, smtp_parse
from casedesk.mail import outgoing

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("carla@customer.example", "carla@customer.example"),
        ("Carla Gialli <carla@customer.example>", "carla@customer.example"),
        ("ops@localhost", "ops@localhost"),
        ("not an address", None),
        ("a@b.example\r\nBcc: x@y.example", None),
        ("a@@b.example", None),
        ("", None),
    ],
)
def test_an_address_is_taken_bare_or_refused(value: str, expected: str | None) -> None:
    assert outgoing.address_clean(value) == expected


def test_duplicate_addresses_are_dropped_and_a_bad_one_names_its_field() -> None:
    assert outgoing.addresses_clean(["a@b.example", "A@B.example"], "to") == (["a@b.example"], {})
    assert outgoing.addresses_clean(["a@b.example", "nope"], "cc")[1] == {
        "cc": "not an e-mail address: 'nope'"
    }


def test_the_default_subject_answers_the_title_with_the_ticket_number() -> None:
    assert outgoing.subject_default(title="Router down", ticket_number="CAS-01001-K7Q2M9") == (
        "Re: Router down [CAS-01001-K7Q2M9]"
    )
    assert outgoing.subject_default(title="RE: Router", ticket_number="CAS-01001-K7Q2M9") == (
        "RE: Router [CAS-01001-K7Q2M9]"
    )
    long = outgoing.subject_default(title="x" * 300, ticket_number="CAS-01001-K7Q2M9")
    assert len(long) == outgoing.SUBJECT_MAX and long.endswith("[CAS-01001-K7Q2M9]")


def test_a_given_subject_gets_the_ticket_number_once() -> None:
    ticket = "CAS-01001-K7Q2M9"
    assert outgoing.subject_with_ticket("Your order", ticket_number=ticket) == (
        "Your order [CAS-01001-K7Q2M9]"
    )
    assert outgoing.subject_with_ticket(f"Re: [{ticket}] x", ticket_number=ticket) == (
        f"Re: [{ticket}] x"
    )


def test_references_of_a_reply_end_with_the_message_it_answers() -> None:
    assert outgoing.references_of(parent_id="c", parent_references=["a", "b"]) == ["a", "b", "c"]
    many = [str(i) for i in range(40)]
    assert len(outgoing.references_of(parent_id="z", parent_references=many)) == 20


@pytest.mark.parametrize(
    ("code", "status"), [(550, "failed"), (554, "failed"), (451, "retry"), (None, "retry")]
)
def test_a_5xx_answer_fails_for_good_and_anything_else_is_retried(
    code: int | None, status: str
) -> None:
    assert outgoing.classify(code, "answer").status == status


def test_the_retry_schedule_lasts_about_a_day_then_the_email_fails() -> None:
    total = sum(outgoing.RETRY_SCHEDULE, dt.timedelta())
    assert dt.timedelta(hours=20) <= total <= dt.timedelta(hours=24)
    retry = outgoing.Outcome(outgoing.RETRY, "451")
    assert outgoing.after_failure(retry, attempts=1, now=NOW) == (
        "queued",
        NOW + outgoing.RETRY_SCHEDULE[0],
    )
    last = len(outgoing.RETRY_SCHEDULE)
    assert outgoing.after_failure(retry, attempts=last, now=NOW)[0] == "queued"
    assert outgoing.after_failure(retry, attempts=last + 1, now=NOW) == ("failed", None)
    failed = outgoing.Outcome(outgoing.FAILED, "550")
    assert outgoing.after_failure(failed, attempts=1, now=NOW) == ("failed", None)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", None),
        ("smtp://mail.example:2525", Smtp("mail.example", 2525)),
        ("smtp://mail.example", Smtp("mail.example", 25)),
        ("smtps://u%40x:p%3Aw@mail.example", Smtp("mail.example", 465, "u@x", "p:w", tls=True)),
        (
            "smtp://u:p@mail.example:587?starttls=1",
            Smtp("mail.example", 587, "u", "p", starttls=True),
        ),
    ],
)
def test_the_smtp_url_is_read(url: str, expected: Smtp | None) -> None:
    assert smtp_parse(url) == expected


@pytest.mark.parametrize(
    "url", ["http://mail.example", "smtp://", "smtp://h:notaport", "smtps://h?starttls=1"]
)
def test_a_bad_smtp_url_stops_start_up_naming_the_variable(url: str) -> None:
    with pytest.raises(RuntimeError, match="CASEDESK_SMTP_URL"):
        smtp_parse(url)


def test_the_smtp_url_never_shows_its_password() -> None:
    server = smtp_parse("smtp://user:secret@mail.example:25")
    assert server is not None and "secret" not in str(server) and "secret" not in repr(server)
