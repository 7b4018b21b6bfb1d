"""Texts and search words for the HTTP benchmark and the peer, from the generator's
vocabulary (bench/vocabulary.py), so casedesk's cases, the cases created under load and the
peer's tickets share one Zipf-like word distribution and one set of rare, medium and
frequent search words.
"""

from __future__ import annotations

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import vocabulary


def title(rng: random.Random) -> str:
    return vocabulary.sentence(rng, 4, 9)[:200]


def description(rng: random.Random) -> str:
    return vocabulary.sentence(rng, 12, 40)


def sample_words(rng: random.Random, count: int) -> list[str]:
    return vocabulary.draw(rng, count)


def search_words() -> dict[str, list[str]]:
    """The words bench/search_bench.py queries too: frequent, medium, rare."""
    return vocabulary.by_class()


def texts_and_words(
    count: int, seed: int = 5
) -> tuple[list[tuple[str, str]], dict[str, list[str]]]:
    """`count` (title, description) pairs like the generator's cases, and the search words."""
    rng = random.Random(seed)
    return [(title(rng), description(rng)) for _ in range(count)], search_words()
