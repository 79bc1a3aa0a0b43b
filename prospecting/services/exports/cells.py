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


# The same guard over CSV text in which every field is quoted: a field starts at
# the start of the text, after '",' or after '"\r\n' (inside a field every '"'
# is doubled, so these only occur at a field's start); it is guarded when its
# first character is dangerous and it is not a plain number up to its closing
# quote. One C-speed substitution per chunk instead of a test per cell.
_QUOTED_FIELD = re.compile(
    # A quote and a dangerous character first (cheap to scan for), then whether
    # the quote opens a field, then not a plain number up to the closing quote.
    r'"(?=[=+\-@|%\t\r\n\0])(?:(?<=\A")|(?<=",")|(?<="\r\n"))'
    rf'(?!{PLAIN_NUMBER}"(?:,|\r\n|\Z))'
    r'([^"]*(?:""[^"]*)*)"'
)


def guard_quoted_csv(text: str) -> str:
    """Fully quoted CSV text with every dangerous field prefixed by "'"."""
    return _QUOTED_FIELD.sub('"\'\\1"', text)
