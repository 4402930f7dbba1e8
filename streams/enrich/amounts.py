"""Counted quantities in an article, GDELT-count style.

A token scan (no backtracking regex) reads numbers written in digits ("1,005",
"4.2bn", "40%") or words ("five", "twenty-five", "a dozen", "two hundred"), the
scale after them ("million"), a currency before or after ("$", "euros"), a unit
("kilometres", "percentage points") or the counted object noun ("civilians"), a
hedge before ("more than") and a casualty verb ("killed"). Years, days of a date,
times, ordinals, identifiers ("F-16", "COVID-19") and a lone "one" are not amounts.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from streams.enrich.keywords import is_stop_word, is_verb_form

# The counted object is at most this many words ("opposition sources").
MAX_OBJECT_WORDS = 3
# A bare integer in this range is a year, not an amount.
YEAR_RANGE = (1800, 2100)
# Longer digit strings are identifiers (phone, account numbers), not amounts.
MAX_DIGITS = 18

_TOKEN = re.compile(
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?|[^\W\d_]+(?:[-'’][^\W\d_]+)*|\S"
)
_DIGITS = re.compile(r"[\d,.]+")
_UNITS_SMALL = {
    w: i for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split())
}
_TENS = {w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {
    "hundred": 100, "thousand": 1_000, "million": 10**6, "billion": 10**9, "trillion": 10**12,
    "k": 1_000, "m": 10**6, "mn": 10**6, "mln": 10**6, "bn": 10**9, "b": 10**9, "tn": 10**12,
}
_SCALE_WORDS = {"hundred", "thousand", "million", "billion", "trillion"}
_SYMBOL_CURRENCIES = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₽": "RUB"}
_PREFIXED_DOLLARS = {"us": "USD", "a": "AUD", "c": "CAD", "ca": "CAD", "hk": "HKD", "nz": "NZD", "s": "SGD"}
_WORD_CURRENCIES = {
    "dollar": "USD", "dollars": "USD", "usd": "USD", "euro": "EUR", "euros": "EUR", "eur": "EUR",
    "pound": "GBP", "pounds": "GBP", "sterling": "GBP", "gbp": "GBP", "yen": "JPY", "jpy": "JPY",
    "yuan": "CNY", "renminbi": "CNY", "cny": "CNY", "rouble": "RUB", "roubles": "RUB", "ruble": "RUB",
    "rubles": "RUB", "rub": "RUB", "rupee": "INR", "rupees": "INR", "inr": "INR", "francs": "CHF",
    "chf": "CHF", "lira": "TRY", "bitcoin": "BTC", "btc": "BTC",
}
_UNITS = {
    "%": "%", "percent": "%", "pc": "%", "km": "km", "kms": "km", "kilometre": "km", "kilometres": "km",
    "kilometer": "km", "kilometers": "km", "mile": "mi", "miles": "mi", "metre": "m", "metres": "m",
    "meter": "m", "meters": "m", "cm": "cm", "mm": "mm", "feet": "ft", "foot": "ft", "ft": "ft",
    "inches": "in", "inch": "in", "kg": "kg", "kilograms": "kg", "kilogrammes": "kg", "kilos": "kg",
    "grams": "g", "g": "g", "tonnes": "t", "tonne": "t", "tons": "t", "ton": "t", "pounds-weight": "lb",
    "lbs": "lb", "lb": "lb", "hectares": "ha", "hectare": "ha", "acres": "acre", "acre": "acre",
    "litres": "l", "liters": "l", "litre": "l", "liter": "l", "gallons": "gal", "barrels": "bbl",
    "bpd": "bbl/d", "mw": "MW", "gw": "GW", "kw": "kW", "kwh": "kWh", "degrees": "deg", "mph": "mph",
    "km/h": "km/h", "kph": "km/h", "knots": "kn", "seconds": "s", "minutes": "min", "hours": "h",
    "days": "d", "weeks": "wk", "months": "mo", "years": "yr", "decades": "decade",
    "second": "s", "minute": "min", "hour": "h", "day": "d", "week": "wk", "month": "mo", "year": "yr",
}
_TWO_WORD_UNITS = {("per", "cent"): "%", ("percentage", "points"): "percentage points",
                   ("percentage", "point"): "percentage points", ("square", "kilometres"): "km2",
                   ("square", "kilometers"): "km2", ("square", "miles"): "mi2", ("square", "metres"): "m2",
                   ("basis", "points"): "bp"}
_HEDGES = (
    ("more", "than"), ("less", "than"), ("fewer", "than"), ("at", "least"), ("at", "most"), ("up", "to"),
    ("as", "many", "as"), ("as", "much", "as"), ("an", "estimated"), ("nearly",), ("almost",), ("about",),
    ("around",), ("over",), ("some",), ("roughly",), ("approximately",), ("under",), ("just", "over"),
    ("just", "under"), ("close", "to"), ("upwards", "of"), ("only",), ("least",),
)
_HEDGE_ENDS = frozenset(hedge[-1] for hedge in _HEDGES)
_COUNT_VERBS = frozenset(
    "killed kills killing wounded wounding injured injuring arrested detained displaced kidnapped abducted "
    "executed evacuated rescued deployed captured freed released hurt massacred slaughtered shot "
    "hospitalised hospitalized fired launched sent raised lost cut added created".split()
)
_MONTHS = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec".split()
)
_TIME_WORDS = frozenset("am pm a.m p.m gmt utc bst cet est edt pst hrs o'clock".split())
_DATE_TAILS = frozenset("ago later earlier".split())
_ORDINAL_SUFFIXES = frozenset("st nd rd th".split())


def extract_amounts(text: str) -> list[dict]:
    """[{"text", "value": int | float, "unit": str | None, "object": str | None}] in text order."""
    tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    amounts: list[dict] = []
    i = 0
    while i < len(tokens):
        if not _may_start_number(tokens[i][0]):
            i += 1
            continue
        found = _amount_at(text, tokens, i)
        if found is None:
            i += 1
            continue
        amount, i = found
        amounts.append(amount)
    return amounts


def _may_start_number(token: str) -> bool:
    """False for a token _read_number always refuses (most words): a quick test before the full reading."""
    if token[0].isdigit():
        return True
    lower = token.lower()
    first = lower.split("-", 1)[0]
    return lower in ("a", "an") or first in _UNITS_SMALL or first in _TENS


def _amount_at(text: str, tokens: list, i: int):
    """The amount whose number starts at token i, and the index after it; or None."""
    number = _read_number(text, tokens, i)
    if number is None:
        return None
    value, j, from_digits = number
    start_tok, end_tok = i, j - 1
    unit = currency = None
    scaled = False
    # an attached or following scale ("4.2bn", "3 million")
    if j < len(tokens):
        word = tokens[j][0].lower()
        attached = tokens[j][1] == tokens[j - 1][2]
        if (attached and word in _SCALES and from_digits) or (word in _SCALE_WORDS and not attached):
            value, scaled, end_tok, j = value * _SCALES[word], True, j, j + 1
        elif attached and from_digits and tokens[j][0][0].isalpha() and word not in _UNITS:
            return None  # "3rd", "5G", "10x": ordinals and identifiers
    # a currency before: "$", "US$", "€"
    if i > 0 and tokens[i - 1][0] in _SYMBOL_CURRENCIES:
        currency = _SYMBOL_CURRENCIES[tokens[i - 1][0]]
        start_tok = i - 1
        if tokens[i - 1][0] == "$" and i > 1 and tokens[i - 2][2] == tokens[i - 1][1]:
            prefix = tokens[i - 2][0].lower()
            if prefix in _PREFIXED_DOLLARS:
                currency, start_tok = _PREFIXED_DOLLARS[prefix], i - 2
    # what follows: a currency word, a unit, or the counted object
    following = tokens[j][0].lower() if j < len(tokens) else ""
    pair = (following, tokens[j + 1][0].lower()) if j + 1 < len(tokens) else None
    obj = None
    if following in _DATE_TAILS or following in _TIME_WORDS or following in _MONTHS:
        return None
    if currency is None and following in _WORD_CURRENCIES:
        currency, end_tok, j = _WORD_CURRENCIES[following], j, j + 1
    elif currency is None and pair in _TWO_WORD_UNITS:
        unit, end_tok, j = _TWO_WORD_UNITS[pair], j + 1, j + 2
    elif currency is None and following in _UNITS:
        if j + 1 < len(tokens) and tokens[j + 1][0].lower() in _DATE_TAILS:
            return None  # "two days ago" is a date
        unit, end_tok, j = _UNITS[following], j, j + 1
    elif currency is None:
        obj_end = _object_end(text, tokens, j)
        if obj_end > j:
            obj = " ".join(t[0] for t in tokens[j:obj_end])
            end_tok, j = obj_end - 1, obj_end
    if _is_date_or_noise(text, tokens, i, value, from_digits, scaled, currency, unit, obj):
        return None
    start_tok = _extend_left(tokens, start_tok)
    scaled = scaled or (not from_digits and value >= 100)  # "two hundred", "fifty thousand"
    if not (scaled or currency or unit or obj) and tokens[start_tok][0].lower() not in _COUNT_VERBS:
        return None  # a bare number ("chapter 24", a score): nothing says what it counts
    amount = {
        "text": text[tokens[start_tok][1]:tokens[end_tok][2]],
        "value": _plain(value),
        "unit": currency or unit,
        "object": obj,
    }
    return amount, j


def _read_number(text: str, tokens: list, i: int):
    """(value, index after the number, written in digits?) for the number at token i."""
    token = tokens[i][0]
    if token[0].isdigit():
        if len(token) > MAX_DIGITS or _is_glued(text, tokens[i][1], tokens[i][2]):
            return None
        try:
            return Decimal(token.replace(",", "")), i + 1, True
        except InvalidOperation:
            return None
    lower = token.lower()
    if lower in ("a", "an") and i + 1 < len(tokens) and tokens[i + 1][0].lower() in ("dozen", "hundred", "thousand", "million", "billion"):
        word = tokens[i + 1][0].lower()
        return Decimal(12 if word == "dozen" else _SCALES[word]), i + 2, False
    total = current = Decimal(0)
    j, seen = i, False
    while j < len(tokens):
        parts = tokens[j][0].lower().split("-")
        if all(p in _UNITS_SMALL or p in _TENS for p in parts) and len(parts) <= 2:
            current += sum(_UNITS_SMALL.get(p, _TENS.get(p, 0)) for p in parts)
        elif parts == ["dozen"] and seen:
            current *= 12
        elif parts[0] == "hundred" and len(parts) == 1 and seen:
            current *= 100
        elif len(parts) == 1 and parts[0] in ("thousand", "million", "billion", "trillion") and seen:
            total += current * _SCALES[parts[0]]
            current = Decimal(0)
        elif parts == ["and"] and seen and j + 1 < len(tokens) and tokens[j + 1][0].lower().split("-")[0] in {**_UNITS_SMALL, **_TENS}:
            pass
        else:
            break
        seen = True
        j += 1
    if not seen:
        return None
    if tokens[j - 1][0].lower() == "and":
        j -= 1
    return total + current, j, False


def _is_glued(text: str, start: int, end: int) -> bool:
    """Digits that are part of an identifier, a time or a fraction ("F-16", "10:30", "1/2")."""
    before = text[start - 1] if start else " "
    before2 = text[start - 2] if start > 1 else " "
    after = text[end] if end < len(text) else " "
    after2 = text[end + 1] if end + 1 < len(text) else " "
    if before.isalpha() or before in "_/#" or (before == "-" and before2.isalnum()):
        return True
    if before in ":." and before2.isdigit():
        return True
    return (after in ":/" and after2.isdigit()) or (after == "-" and after2.isalpha() and not text[end + 1:end + 6].lower().startswith(("year", "day", "week", "month", "hour", "minute", "mile", "kilo", "metre", "meter", "foot", "feet")))


def _object_end(text: str, tokens: list, j: int) -> int:
    """Index after the counted-object words starting at token j (j when there are none)."""
    k = j
    while k < len(tokens) and k - j < MAX_OBJECT_WORDS:
        word = tokens[k][0]
        lower = word.lower()
        if not word[0].isalpha() or is_stop_word(lower) or is_verb_form(lower) or lower in _COUNT_VERBS:
            break
        if "\n" in text[tokens[k - 1][2]:tokens[k][1]]:
            break  # never across a line
        if k > j and lower.endswith(("ed", "ing")):
            break  # "homes sold", "people gathered": the verb after the object
        if lower.endswith("ly") or lower in _WORD_CURRENCIES or lower in _UNITS:
            break
        k += 1
    return k


def _is_date_or_noise(text, tokens, i, value, from_digits, scaled, currency, unit, obj) -> bool:
    previous = tokens[i - 1][0].lower().rstrip(".") if i > 0 else ""
    if from_digits and not (scaled or currency or unit):
        token = tokens[i][0]
        if token.isdigit() and YEAR_RANGE[0] <= int(token) <= YEAR_RANGE[1]:
            return True  # a year
        if previous in _MONTHS or (previous == "of" and i > 1 and tokens[i - 2][0].lower() in _MONTHS):
            return True  # "February 4"
        if i + 2 < len(tokens) and tokens[i + 1][0].lower() == "of" and tokens[i + 2][0].lower() in _MONTHS:
            return True  # "4 of February"
    if not from_digits and value == 1 and not (scaled or currency or unit):
        return True  # "one" is mostly a pronoun ("one of its jets", "no one")
    if previous in ("no", "number", "page", "chapter", "article", "section", "route", "flight"):
        return True
    return False


def _extend_left(tokens: list, start: int) -> int:
    """Take in a hedge ("more than") and a casualty verb ("killed") before the number."""
    if start == 0 or tokens[start - 1][0].lower() not in _HEDGE_ENDS:
        return start - 1 if start > 0 and tokens[start - 1][0].lower() in _COUNT_VERBS else start
    for hedge in _HEDGES:
        n = len(hedge)
        if start - n >= 0 and tuple(t[0].lower() for t in tokens[start - n:start]) == hedge:
            start -= n
            break
    if start > 0 and tokens[start - 1][0].lower() in _COUNT_VERBS:
        start -= 1
    return start


def _plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
