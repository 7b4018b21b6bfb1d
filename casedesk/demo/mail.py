"""A demo mailbox without an IMAP server, and cases that came in through it by e-mail
(docs/email.md): real messages through `mail_receive`, so contacts, threads and files are
what the intake makes of them; and one answer from a case, queued (the demo has no SMTP
server, so it stays queued until one is configured)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

from casedesk.cases.services.common import Ref
from casedesk.core import clock
from casedesk.core.choices import Channel
from casedesk.directory.models import Team, User
from casedesk.mail.models import Mailbox
from casedesk.mail.services.mailboxes import mailbox_create
from casedesk.mail.services.receive import mail_receive
from casedesk.mail.services.send import email_send

ADDRESS = "support@example.com"

# message id, sender name, sender address, subject, text, answers (message id) or "",
# an attached file (name, content type, bytes) or None
MESSAGES: list[tuple[str, str, str, str, str, str, tuple[str, str, bytes] | None]] = [
    (
        "demo-mail-1@rossi-impianti.example",
        "Chiara Galli",
        "chiara.galli@rossi-impianti.example",
        "Fattura di novembre non ricevuta",
        "Buongiorno,\n\nnon abbiamo ancora ricevuto la fattura di novembre per il nostro "
        "contratto fibra. Potete inviarla di nuovo a questo indirizzo?\n\nGrazie,\nChiara Galli",
        "",
        None,
    ),
    (
        "demo-mail-2@northwind.example",
        "Oliver Hughes",
        "oliver.hughes@northwind.example",
        "VPN disconnects every few minutes",
        "Hello,\n\nsince Monday our site-to-site VPN drops every few minutes. I attached the "
        "router log from this morning.\n\nBest regards,\nOliver Hughes",
        "",
        (
            "router-log.txt",
            "text/plain",
            b"08:02:11 ipsec: peer 203.0.113.7 DPD timeout\n"
            b"08:02:12 ipsec: tunnel down\n08:02:40 ipsec: tunnel up\n",
        ),
    ),
    (
        "demo-mail-3@studio-marino.example",
        "Davide Marino",
        "davide.marino@studio-marino.example",
        "Stampante di rete non raggiungibile",
        "Salve,\n\nla stampante dell'ufficio al secondo piano non risponde più dalla rete. "
        "Abbiamo già provato a riavviarla.\n\nDavide Marino",
        "",
        None,
    ),
    (
        "demo-mail-4@northwind.example",
        "Oliver Hughes",
        "oliver.hughes@northwind.example",
        "Re: VPN disconnects every few minutes",
        "One more detail: the drops started right after the firmware upgrade to 4.2.1 on "
        "the branch router.\n\nOliver",
        "demo-mail-2@northwind.example",
        None,
    ),
]

REPLY = (
    "Gentile Chiara,\n\nle abbiamo inviato di nuovo la fattura di novembre; la trova anche "
    "nell'area clienti.\n\nCordiali saluti,\nGiulia Romano"
)


def _raw(
    message_id: str,
    name: str,
    sender: str,
    subject: str,
    text: str,
    answers: str,
    attached: tuple[str, str, bytes] | None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}>"
    message["Date"] = format_datetime(clock.now())
    if answers:
        message["In-Reply-To"] = f"<{answers}>"
        message["References"] = f"<{answers}>"
    message.set_content(text)
    if attached is not None:
        filename, content_type, data = attached
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def load(users: dict[str, User]) -> dict[str, int]:
    team = Team.objects.filter(name="Supporto Tier 1").first()
    mailbox: Mailbox = mailbox_create(
        actor=users["admin"],
        name="Supporto clienti",
        address=ADDRESS,
        owner=Ref("team", team.pk) if team else Ref("user", users["agent"].pk),
        auto_acknowledge=False,
        channel=Channel.CLI,
    )
    received = [mail_receive(mailbox=mailbox, raw=_raw(*m)) for m in MESSAGES]
    first = received[0].case_id
    assert first is not None
    email_send(actor=users["agent"], case_id=first, text=REPLY, channel=Channel.CLI)
    return {"mailboxes": 1, "emails_received": len(received), "emails_queued": 1}
