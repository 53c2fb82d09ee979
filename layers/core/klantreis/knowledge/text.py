"""Terms of a Dutch or English text for the retriever: lower case without accents, stop words
dropped, a light suffix stemmer. The same function reads entries and questions, so whatever it
does to a word it does on both sides; it only has to be consistent, not linguistically right."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")

_ENGLISH_STOP_WORDS = (
    "a an and are as at be been but by can could do does did for from had has have how i if in "
    "is it its me my no not of on or our so than that the their them then there these they this "
    "to too was we were what when where which who why will with would you your yours am any "
    "please hi hello there just get got"
)
_DUTCH_STOP_WORDS = (
    "aan al als bij dan dat de deze die dit doen door een en er had heb hebben heeft het hier "
    "hoe ik in is je jij jullie kan kun kunnen maar me met mij mijn na naar niet nog nu of om "
    "onder ons onze ook op over te tot u uw van veel voor waar wanneer wat we wel welke wie wij "
    "wil wordt zal ze zelf zich zijn zo zou hallo hoi graag even wordt worden word mag moet "
    "moeten"
)
STOP_WORDS = frozenset(f"{_ENGLISH_STOP_WORDS} {_DUTCH_STOP_WORDS}".split())
"""Words that say nothing about which answer is meant, in either language. Question words and
negations stay out of the index as well: the answer's topic carries the match."""

_SUFFIXES = (
    # longest first; each leaves a stem of at least three letters
    "ingen", "heden", "ities", "ation", "ings", "ness", "ment", "ies", "ing", "tjes",
    "jes", "ers", "ed", "en", "er", "es", "je", "s", "e",
)  # fmt: skip
_MIN_STEM = 3


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """One suffix off (plural, diminutive, verb ending), and a doubled final consonant undone
    (`retourneren` and `retour`, `bestellingen` and `bestelling` meet)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            word = word[: -len(suffix)]
            break
    if len(word) > _MIN_STEM and word[-1] == word[-2] and word[-1] not in "aeiou0123456789":
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    """The retriever's terms of a text, in order (repeats kept: they count)."""
    words = _WORD.findall(_strip_accents(text.lower()))
    return [stem(word) for word in words if word not in STOP_WORDS and len(word) > 1]
