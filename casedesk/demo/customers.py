"""Demo accounts, contacts, the subject tree, products and active cases."""

from __future__ import annotations

import random
from typing import Any

from casedesk.cases.services.common import Ref
from casedesk.cases.services.records import case_create
from casedesk.catalog import services as catalog
from casedesk.core import clock
from casedesk.core.choices import Channel
from casedesk.customers import services as customers
from casedesk.demo.timeline import FOUNDED, Timeline
from casedesk.directory.models import User

ACCOUNTS = [
    ("Città di Milano", "02 8845 1000"),
    ("Rossi Forniture Srl", "011 562 3300"),
    ("Banca Popolare del Lago", "031 270 1111"),
    ("Ospedale San Giorgio", "0521 702 111"),
    ("Trasporti Adriatici SpA", "071 280 9900"),
    ("Northwind Traders Ltd", "+44 20 7946 0018"),
    ("Caffè Aurora", "06 4470 2210"),
    ("Università di Bolzano", "0471 011 000"),
    ("Contoso Pharma Italia", "02 3030 4040"),
    ("Edilnord Costruzioni", "030 377 8811"),
]

PEOPLE = [
    ("Maria", "Rossi"),
    ("Giuseppe", "Bianchi"),
    ("Francesca", "Colombo"),
    ("Andrea", "Ricci"),
    ("Chiara", "Marino"),
    ("Matteo", "Greco"),
    ("Elena", "Bruno"),
    ("Davide", "Gallo"),
    ("Laura", "Conti"),
    ("Niccolò", "De Luca"),
    ("Sofia", "Mancini"),
    ("Emma", "Thompson"),
    ("James", "Carter"),
    ("Federica", "Costa"),
    ("Lorenzo", "Giordano"),
    ("Anna", "Rizzo"),
    ("Paolo", "Lombardi"),
    ("Giulia", "Moretti"),
    ("Oliver", "Hughes"),
    ("Alessia", "Barbieri"),
]

SUBJECTS = {
    "Interruzioni di servizio": ["Fibra", "Rete mobile", "Posta elettronica"],
    "Fatturazione": ["Addebiti errati", "Rimborsi"],
    "Hardware": ["Router", "Stampanti"],
    "Account e accessi": ["Password", "Permessi"],
}

PRODUCTS = [
    ("Fibra Business 1000", "FB1000"),
    ("Router ProLink X2", "RPX2"),
    ("Posta Cloud", "PCLOUD"),
    ("Centralino VoIP", "VOIP"),
    ("Stampante LaserJet M400", "LJM400"),
]

TITLES = [
    ("Connessione fibra assente dalle 9", "Fibra"),
    ("La posta elettronica non riceve messaggi", "Posta elettronica"),
    ("Addebito doppio in fattura di ottobre", "Addebiti errati"),
    ("Router si riavvia continuamente", "Router"),
    ("Richiesta di rimborso per disservizio", "Rimborsi"),
    ("Stampante di rete non raggiungibile", "Stampanti"),
    ("Password scaduta, impossibile accedere", "Password"),
    ("Internet connection drops every evening", "Fibra"),
    ("Cannot send e-mail from mobile phone", "Posta elettronica"),
    ("Invoice shows wrong VAT number", "Addebiti errati"),
    ("New user needs access to shared folders", "Permessi"),
    ("Segnale mobile debole in magazzino", "Rete mobile"),
    ("Centralino non inoltra le chiamate", None),
    ("Printer jams on double-sided printing", "Stampanti"),
    ("Lentezza della rete in sede", "Fibra"),
    ("Router firmware update failed", "Router"),
]


def _phone(rng: random.Random) -> str:
    return f"+39 3{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def load(users: dict[str, User]) -> dict[str, int]:
    rng = random.Random(2026)
    manager = users["manager"]
    agents = [users[name] for name in ("agent", "luca", "sara", "paolo")]
    # The organisation's records predate its cases.
    with clock.behind(FOUNDED):
        subjects: dict[str, Any] = {}
        for root, children in SUBJECTS.items():
            parent = catalog.subject_create(actor=manager, name=root, channel=Channel.CLI)
            subjects[root] = parent
            for child in children:
                subjects[child] = catalog.subject_create(
                    actor=manager, name=child, parent_id=parent.id, channel=Channel.CLI
                )
        products = [
            catalog.product_create(actor=manager, name=n, code=c, channel=Channel.CLI)
            for n, c in PRODUCTS
        ]
        accounts = [
            customers.account_create(actor=agents[0], name=n, phone=p, channel=Channel.CLI)
            for n, p in ACCOUNTS
        ]
        contacts = []
        for i, (first, last) in enumerate(PEOPLE):
            account = accounts[i % len(accounts)] if i < 16 else None
            domain = (account.name.split()[0].lower() if account else "gmail") + ".example"
            contacts.append(
                customers.contact_create(
                    actor=agents[0],
                    first_name=first,
                    last_name=last,
                    email=f"{first.lower()}.{last.lower().replace(' ', '')}@{domain}",
                    phone=_phone(rng),
                    account_id=account.id if account else None,
                    channel=Channel.CLI,
                )
            )
    cases = 0
    # Open cases of the last three months, the oldest first.
    timeline = Timeline(oldest=90, newest=1, count=len(TITLES) * 2)
    for i, (title, subject) in enumerate(TITLES * 2):
        contact = contacts[i % len(contacts)]
        if contact.account_id and i % 3:
            customer = Ref("account", contact.account_id)
        else:
            customer = Ref("contact", contact.id)
        owner = agents[i % len(agents)]
        with timeline.at(i):
            case_create(
                actor=owner,
                title=title,
                customer=customer,
                contact_id=contact.id,
                description=f"{title}. Segnalato dal cliente {contact.name}.",
                subject_id=subjects[subject].id if subject else None,
                product_id=products[i % len(products)].id if i % 2 else None,
                origin=rng.choice(["phone", "phone", "email", "web", "chat"]),
                case_type=rng.choice(["question", "problem", "request", None]),
                priority=rng.choice(["high", "normal", "normal", "low"]),
                stage=rng.choice(["identify", "research"]),
                status=rng.choice(
                    ["in_progress", "in_progress", "on_hold", "waiting_for_details", "researching"]
                ),
                channel=Channel.CLI,
            )
        cases += 1
    return {
        "subjects": len(subjects),
        "products": len(products),
        "accounts": len(accounts),
        "contacts": len(contacts),
        "cases": cases,
    }
