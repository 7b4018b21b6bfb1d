"""A Zipf-like vocabulary of Italian and English support words, shared by the data generator and
the benchmark, so the benchmark knows which words are frequent, medium and rare.

Rank 1 is the most frequent word; a word of rank r is drawn with weight 1 / (r + 2.7)
(Zipf–Mandelbrot). The first ranks are real words of a help desk in both languages, then
product names and places, then invented words (model codes, surnames) that are rare.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from itertools import accumulate


def _split(text: str) -> list[str]:
    return text.split()


FREQUENT = _split(
    """
    servizio cliente problema connessione errore rete service customer error network
    internet linea router utente account email posta fattura richiesta ufficio sede accesso
    password stampante printer issue request office line user access telefono phone dati
    data
    """
)

MEDIUM = _split(
    """
    interruzione interruzioni interrotto disservizio guasto guasti lentezza lenta lento
    instabile intermittente assente bloccato bloccata riavvio riavviare configurazione
    aggiornamento aggiornato firmware driver modem fibra adsl antenna ripetitore copertura
    segnale centralino voip chiamate chiamata numero portabilità migrazione attivazione
    disattivazione contratto canone addebito addebiti rimborso rimborsi nota credito
    pagamento bonifico scadenza insoluto sollecito preventivo ordine consegna spedizione
    corriere reso sostituzione garanzia riparazione tecnico intervento sopralluogo
    appuntamento installazione cablaggio armadio switch firewall vpn dns dominio certificato
    backup ripristino server cloud archiviazione cartella condivisa permessi gruppo licenza
    licenze software applicazione portale app smartphone tablet notebook monitor tastiera
    toner cartuccia inceppamento scanner fax sim roaming traffico soglia bolletta tariffa
    promozione offerta disdetta recesso outage outages interrupted slow unstable
    intermittent dropped reboot reboots restart configuration update upgrade billing invoice
    invoices refund refunds payment overdue credit charge charged duplicate cancellation
    subscription renewal contract plan upgrade shipping delivery replacement warranty repair
    technician visit appointment installation cabling firewall certificate domain backup
    restore server storage folder shared permission permissions license licence application
    mobile laptop keyboard toner cartridge jam scanner roaming quota threshold bill tariff
    offer complaint escalation callback voicemail headset wifi wireless bandwidth latency
    packet loss timeout login logout locked expired reset mfa token sync calendar mailbox
    quota spam phishing virus malware encryption
    """
)

PLACES = _split(
    """
    milano roma torino napoli bologna firenze genova venezia verona padova bari palermo
    catania trieste brescia bergamo monza parma modena trento bolzano perugia ancona pescara
    cagliari london manchester dublin edinburgh bristol leeds glasgow cardiff
    """
)

_SYLLABLES = _split(
    """
    ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo fu ga ge gi go gu la le li lo
    lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta te ti
    to tu va ve vi vo vu za ze zi zo zu tra tre tri pro pre gran ster vel kor lin mar dor
    """
)

RARE_COUNT = 30_000


def _rare_words(count: int) -> list[str]:
    rng = random.Random(20_260_101)
    seen: set[str] = set()
    words: list[str] = []
    while len(words) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(3, 4)))
        if rng.random() < 0.25:
            word += str(rng.randint(10, 999))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


WORDS: list[str] = FREQUENT + MEDIUM + PLACES + _rare_words(RARE_COUNT)
_CUMULATIVE = list(accumulate(1.0 / (rank + 2.7) for rank in range(1, len(WORDS) + 1)))


def draw(rng: random.Random, count: int) -> list[str]:
    """`count` words drawn with Zipf weights."""
    total = _CUMULATIVE[-1]
    return [WORDS[bisect_left(_CUMULATIVE, rng.random() * total)] for _ in range(count)]


def sentence(rng: random.Random, low: int, high: int) -> str:
    words = draw(rng, rng.randint(low, high))
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def by_class() -> dict[str, list[str]]:
    """Words the benchmark queries: frequent (top ranks), medium (a few hundred), rare."""
    return {
        "frequent": FREQUENT[:8],
        "medium": MEDIUM[40:48] + MEDIUM[200:204],
        "rare": WORDS[len(WORDS) - 2000 : len(WORDS) - 1990],
    }


FIRST_NAMES = _split(
    """
    Maria Giuseppe Francesca Andrea Chiara Matteo Elena Davide Laura Niccolò Sofia Emma
    James Federica Lorenzo Anna Paolo Giulia Oliver Alessia Marco Luca Sara Giorgio Martina
    Simone Valentina Stefano Silvia Roberto Alice Pietro John Mary David Sarah Michael Laura
    Daniel
    """
)
LAST_NAMES = _split(
    """
    Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti
    De Luca Costa Giordano Mancini Rizzo Lombardi Moretti Barbieri Fontana Santoro Mariani
    Rinaldi Caruso Ferrara Galli Martini Leone Longo Gentile Martinelli Vitale Lombardo
    Serra Coppola De Santis D'Angelo Marchetti Parisi Villa Conte Ferraro Ferri Fabbri
    Bianco Marini Grasso Valentini Messina Sala De Angelis Gatti Pellegrini Palumbo Sanna
    Farina Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson
    Evans
    """
)
COMPANY_WORDS = _split(
    """
    Forniture Costruzioni Trasporti Servizi Sistemi Tecnologie Impianti Logistica Consulting
    Solutions Industries Holding Group Italia Europa Nord Sud Adriatica Tirrenica Alpina
    Lago Farmaceutica Alimentari Meccanica Elettronica Energia Ambiente Immobiliare
    Assicurazioni Banca Studio Ospedale Università Comune Hotel Caffè Ristorante Trattoria
    Agenzia Officina
    """
)
COMPANY_SUFFIXES = ["Srl", "SpA", "Snc", "Ltd", "Sas", ""]
