"""Bytes of an RFC 5322 message to what the desk keeps of it (docs/email.md#what-is-kept).

Pure: no database. Any MIME structure and any charset: a part whose charset Python does not
know is read as UTF-8, then Latin-1, never refused; a header that cannot be parsed is kept as
its raw text. HTML is sanitised here (nh3) and turned into text when a message has no text part.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr

import nh3

# Bodies longer than this are kept whole as an attachment, shortened on the case.
TEXT_MAX = 1_000_000
MESSAGE_ID_MAX = 255
_MSGID = re.compile(r"<([^<>\s]+)>")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")
_BLOCK_END = re.compile(r"(?i)<\s*(br\s*/?|/p|/div|/li|/tr|/h[1-6]|/blockquote)\s*>")
_HTML_TAGS = set(nh3.ALLOWED_TAGS)
_URL_SCHEMES = {"http", "https", "mailto", "cid"}


@dataclass(frozen=True)
class FilePart:
    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True)
class ParsedMessage:
    message_id: str
    sender: str  # the address, lower-cased; "" when there is none
    sender_name: str
    to: list[str]
    cc: list[str]
    subject: str
    text: str
    html: str  # sanitised
    in_reply_to: str
    references: list[str]
    files: list[FilePart] = field(default_factory=list)
    auto_submitted: bool = False
    bulk: bool = False
    delivery_report: bool = False
    reported_message_ids: list[str] = field(default_factory=list)
    report_text: str = ""


def _raw_header(msg: Message, name: str) -> str | None:
    """The header's text as it came (8-bit bytes as surrogate escapes), or None."""
    wanted = name.lower()
    for key, value in msg.raw_items() if hasattr(msg, "raw_items") else msg.items():
        if key.lower() == wanted:
            return str(value)
    return None


def _eight_bit(text: str) -> str | None:
    """8-bit header bytes (surrogate escapes) read as UTF-8, else Latin-1; None if none."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return None
    data = text.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _header(msg: Message, name: str) -> str:
    """A header as text, whatever its encoding; "" when absent or unreadable."""
    raw = _raw_header(msg, name)
    if raw is None:
        return ""
    decoded = _eight_bit(raw)
    if decoded is None:
        try:
            value = msg.get(name)
            decoded = str(value) if value is not None else raw
        except Exception:  # a header the policy cannot parse: its raw form
            decoded = raw
    return " ".join(decoded.split())


def _addresses(msg: Message, name: str) -> list[tuple[str, str]]:
    values: list[tuple[str, str]] = []
    raw = _raw_header(msg, name)
    if raw is None:
        return values
    try:
        header = msg.get(name) if _eight_bit(raw) is None else None
        if header is not None and hasattr(header, "addresses"):
            for address in header.addresses:
                if isinstance(address, Address) and address.addr_spec and "@" in address.addr_spec:
                    values.append((address.display_name or "", address.addr_spec.lower()))
            return values
    except Exception:
        pass
    for display, addr in getaddresses([_header(msg, name)]):
        if "@" in addr:
            values.append((display, addr.lower()))
    return values


def message_ids(text: str) -> list[str]:
    """The message ids named in a header (`<a@b> <c@d>`), in order, without brackets."""
    return [normal_message_id(m) for m in _MSGID.findall(text or "")]


def normal_message_id(value: str) -> str:
    """A message id as stored: without brackets; a hash when it is too long to index."""
    value = value.strip().strip("<>").strip()
    if len(value) > MESSAGE_ID_MAX:
        return "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
    return value


def _decode_text(part: Message) -> str:
    """A text part's content, whatever its declared charset."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    for candidate in (charset, "utf-8"):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


def _report_type(part: Message) -> str:
    value = part.get_param("report-type")
    return value.lower() if isinstance(value, str) else ""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name:
        return " ".join((_eight_bit(name) or name).split())
    return ""


_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "message/rfc822": ".eml",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
}


class _Walk:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.files: list[FilePart] = []
        self.report = False
        self.reported: list[str] = []
        self.report_lines: list[str] = []

    def visit(self, part: Message, *, in_alternative: bool = False) -> None:
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        if ctype == "multipart/report" and _report_type(part) == "delivery-status":
            self.report = True
        if ctype == "message/rfc822":
            self._message(part, disposition)
            return
        if ctype in {"message/delivery-status", "message/global-delivery-status"}:
            self.report = True
            payload = part.get_payload()
            blocks = payload if isinstance(payload, list) else [payload]
            self.report_lines += [str(b).strip() for b in blocks if str(b).strip()]
            return
        if part.is_multipart():
            children = part.get_payload()
            if not isinstance(children, list):
                return
            if ctype == "multipart/alternative":
                self._alternative([c for c in children if isinstance(c, Message)])
                return
            for child in children:
                if isinstance(child, Message):
                    self.visit(child, in_alternative=in_alternative)
            return
        if ctype in {"text/rfc822-headers", "message/rfc822-headers"}:
            self.reported += message_ids(_decode_text(part).split("Message-ID:", 1)[-1][:1000])
            return
        filename = _filename(part)
        if disposition != "attachment" and not filename and ctype == "text/plain":
            self.texts.append(_decode_text(part))
            return
        if disposition != "attachment" and not filename and ctype == "text/html":
            self.htmls.append(_decode_text(part))
            return
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            data = b""
        content_id = (
            normal_message_id(_header(part, "Content-ID")) if part.get("Content-ID") else ""
        )
        self.files.append(
            FilePart(
                filename=filename or f"part-{len(self.files) + 1}{_EXTENSIONS.get(ctype, '.bin')}",
                content_type=ctype,
                data=data,
                content_id=content_id,
                inline=bool(content_id) and disposition != "attachment",
            )
        )

    def _alternative(self, children: list[Message]) -> None:
        """The richest text and HTML of an alternative, each once; nested parts (related
        images) are visited as usual."""
        texts_before, htmls_before = len(self.texts), len(self.htmls)
        for child in children:
            if not isinstance(child, Message):
                continue
            ctype = child.get_content_type()
            if ctype == "text/plain" and len(self.texts) > texts_before:
                continue
            if ctype == "text/html" and len(self.htmls) > htmls_before:
                continue
            self.visit(child, in_alternative=True)

    def _message(self, part: Message, disposition: str) -> None:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if not isinstance(inner, Message):
            return
        if self.report:
            self.reported += message_ids(_header(inner, "Message-ID"))
        data = (
            inner.as_bytes(policy=policy.SMTP) if isinstance(inner, EmailMessage) else bytes(inner)
        )
        subject = _header(inner, "Subject") or "message"
        name = _filename(part) or re.sub(r"[^\w .,-]+", "_", subject)[:80] + ".eml"
        self.files.append(FilePart(filename=name, content_type="message/rfc822", data=data))


def sanitise_html(raw: str) -> str:
    """HTML that is safe to show: no scripts, styles, event handlers, forms or frames; links
    and images keep only http(s), mailto and cid addresses."""
    if not raw.strip():
        return ""
    return nh3.clean(
        raw, tags=_HTML_TAGS, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer nofollow"
    )


def html_to_text(raw: str) -> str:
    """The readable text of an HTML body (for the case and for search)."""
    marked = _BLOCK_END.sub("\n", raw)
    stripped = nh3.clean(
        marked, tags=set(), clean_content_tags={"script", "style", "head", "title"}
    )
    text = html_lib.unescape(stripped)
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _flag_auto(msg: Message) -> tuple[bool, bool]:
    auto = _header(msg, "Auto-Submitted").lower()
    auto_submitted = bool(auto) and auto != "no"
    if _header(msg, "X-Autoreply") or _header(msg, "X-Autorespond"):
        auto_submitted = True
    if _header(msg, "X-Auto-Response-Suppress").lower() in {"all", "oof"}:
        auto_submitted = True
    precedence = _header(msg, "Precedence").lower()
    bulk = precedence in {"bulk", "junk", "list"} or bool(_header(msg, "List-Id"))
    return auto_submitted, bulk


def parse_message(raw: bytes) -> ParsedMessage:
    """What the desk keeps of the message `raw` (docs/email.md#what-is-kept). Never raises
    for a malformed message: what cannot be read is left out."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    walk = _Walk()
    walk.visit(msg)
    own_ids = message_ids(_header(msg, "Message-ID"))
    message_id = own_ids[0] if own_ids else ""
    if not message_id:
        # No id: the bytes name the message, so the same message delivered twice is one.
        message_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    senders = _addresses(msg, "From") or _addresses(msg, "Sender")
    if not senders:
        name, addr = parseaddr(_header(msg, "Return-Path"))
        senders = [(name, addr.lower())] if "@" in addr else []
    sender_name, sender = senders[0] if senders else ("", "")
    raw_html = "\n".join(h for h in walk.htmls if h.strip())
    html = sanitise_html(raw_html)
    texts = [t.replace("\r\n", "\n").replace("\r", "\n") for t in walk.texts]
    text = "\n\n".join(t.strip("\n") for t in texts if t.strip())
    if not text.strip() and html:
        text = html_to_text(html)
    text = text.replace("\r\n", "\n").replace("\x00", "")
    files = list(walk.files)
    if len(text) > TEXT_MAX:
        files.append(FilePart("message.txt", "text/plain", text.encode("utf-8")))
        text = text[:TEXT_MAX]
    if len(html) > TEXT_MAX:
        files.append(FilePart("message.html", "text/html", html.encode("utf-8")))
        html = ""
    in_reply_to = message_ids(_header(msg, "In-Reply-To"))
    auto_submitted, bulk = _flag_auto(msg)
    content_type = msg.get_content_type()
    report = walk.report or (
        content_type == "multipart/report" and _report_type(msg) == "delivery-status"
    )
    if not report and sender.split("@", 1)[0] in {"mailer-daemon", "postmaster"}:
        report = "delivery" in _header(msg, "Subject").lower() or "undeliver" in text.lower()[:2000]
    return ParsedMessage(
        message_id=message_id,
        sender=sender,
        sender_name=sender_name.strip(),
        to=[a for _n, a in _addresses(msg, "To")],
        cc=[a for _n, a in _addresses(msg, "Cc")],
        subject=_header(msg, "Subject")[:255],
        text=text,
        html=html,
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        references=message_ids(_header(msg, "References")),
        files=files,
        auto_submitted=auto_submitted,
        bulk=bulk,
        delivery_report=report,
        reported_message_ids=list(dict.fromkeys(walk.reported)),
        report_text="\n".join(walk.report_lines)[:2000],
    )
