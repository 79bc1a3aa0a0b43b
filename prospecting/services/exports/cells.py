"""The guard of spreadsheet exports: what a spreadsheet would run gets a "'"."""

import re

# What a spreadsheet would run: a cell starting with one of these.
DANGEROUS_PREFIXES = ("=", "+", "-", "@", "|", "%", "\t", "\r", "\n", "\0")
_DANGEROUS_START = frozenset("=+-@|%\t\r\n\0")
# A plain number or phone number (+12747482542, -12.5, +1 (415) 555-0101) is data:
# a sign, then digits with spaces, dots, dashes and brackets, nothing a formula
# could call.
PLAIN_NUMBER = r"[+-]?\(?\d[\d ().-]*"
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER).fullmatch


def guarded(value: str) -> str:
    """Spreadsheet-safe text: "'" before what a spreadsheet would run, never before
    a plain number or phone number."""
    if value[:1] in _DANGEROUS_START and not _PLAIN_NUMBER(value):
        return f"'{value}"
    return value


# The same guard over CSV text in which every field is quoted and every row ends
# with "\r\n". A field is found by reading the text field by field from its start
# (a '"' inside a field is doubled, so a field is '"', then runs of anything but
# '"' or of '""', then '"'); looking for '"' after ',' or a line break alone
# would also find the closing quote of a field that ends with '",' or '"\r\n'.
# First a cheap search for anything that may be a dangerous field: most chunks
# hold none and are returned as they are.
_DANGER = r"[=+\-@|%\t\r\n\0]"
_NOT_PLAIN = rf'(?!{PLAIN_NUMBER}"(?:,|\r\n|\Z))'
_MAYBE_DANGEROUS = re.compile(
    rf'"(?={_DANGER})(?:(?<=\A")|(?<=",")|(?<="\r\n")){_NOT_PLAIN}'
)
_BODY = r'[^"]*(?:""[^"]*)*'
_END = r"(?:,|\r\n)"
_SAFE_FIELD = rf'"(?:(?!{_DANGER})|(?={PLAIN_NUMBER}"{_END})){_BODY}"{_END}'
# The safe fields before the next dangerous one (taken whole, never given back),
# then that field: each match starts where a field starts.
_NEXT_DANGEROUS = re.compile(rf'((?:{_SAFE_FIELD})*+)"({_BODY}"{_END}?)')
# A dangerous last field, so that the text always ends in a match (a search that
# failed would go on from inside a field); taken off again.
_SENTINEL = '"="'


def guard_quoted_csv(text: str) -> str:
    """Fully quoted CSV text (rows ending in "\r\n") with every dangerous field
    prefixed by "'", as `guarded` would prefix its value."""
    if _MAYBE_DANGEROUS.search(text) is None:
        return text
    guarded_text = _NEXT_DANGEROUS.sub("\\1\"'\\2", text + _SENTINEL)
    return guarded_text[: -len(_SENTINEL) - 1]
