"""`filterByFormula` for the sandbox Airtable: comparisons of {Field}, RECORD_ID(),
strings and numbers, joined by AND(), OR() and NOT(); enough for what pyairtable's
formula helpers write (https://support.airtable.com/docs/formula-field-reference)."""

import re

_TOKEN = re.compile(
    r"\s*(?:(\{[^}]*\})|('(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\")|"
    r"(-?\d+(?:\.\d+)?)|(!=|>=|<=|=|<|>)|([A-Za-z_]+\s*\()|(,)|(\)))"
)


def matcher(formula: str):
    """A function record -> bool for `formula`, or ValueError when it is not read."""
    tokens, pos = [], 0
    formula = formula.strip()
    while pos < len(formula):
        m = _TOKEN.match(formula, pos)
        if not m or m.end() == pos:
            raise ValueError(f"Invalid formula near {formula[pos : pos + 20]!r}")
        tokens.append(next((i, g) for i, g in enumerate(m.groups()) if g is not None))
        pos = m.end()
    node, rest = _expr(tokens)
    if rest:
        raise ValueError("Invalid formula: unexpected text at the end")
    return node


def _expr(tokens):
    left, tokens = _term(tokens)
    if tokens and tokens[0][0] == 3:
        op, (right, tokens) = tokens[0][1], _term(tokens[1:])
        return _compare(left, op, right), tokens
    return left, tokens


def _term(tokens):
    if not tokens:
        raise ValueError("Invalid formula: ended early")
    kind, text = tokens[0]
    if kind == 0:
        name = text[1:-1]
        return (lambda r: r["fields"].get(name)), tokens[1:]
    if kind == 1:
        value = re.sub(r"\\(.)", r"\1", text[1:-1])
        return (lambda r: value), tokens[1:]
    if kind == 2:
        number = float(text)
        return (lambda r: number), tokens[1:]
    if kind == 4:
        return _call(text[:-1].strip().upper(), tokens[1:])
    raise ValueError(f"Invalid formula near {text!r}")


def _call(name, tokens):
    args = []
    while tokens and tokens[0][0] != 6:
        arg, tokens = _expr(tokens)
        args.append(arg)
        if tokens and tokens[0][0] == 5:
            tokens = tokens[1:]
    if not tokens:
        raise ValueError("Invalid formula: a ')' is missing")
    tokens = tokens[1:]
    if name == "AND":
        return (lambda r: all(a(r) for a in args)), tokens
    if name == "OR":
        return (lambda r: any(a(r) for a in args)), tokens
    if name == "NOT" and len(args) == 1:
        return (lambda r: not args[0](r)), tokens
    if name == "RECORD_ID" and not args:
        return (lambda r: r["id"]), tokens
    raise ValueError(f"Unknown function {name}()")


def _compare(left, op, right):
    def norm(value):
        if value is None:
            return ""
        if isinstance(value, bool):
            return int(value)
        return value

    def test(record):
        a, b = norm(left(record)), norm(right(record))
        if isinstance(a, int | float) != isinstance(b, int | float):
            a, b = str(a), str(b)
        if op == "=":
            return a == b
        if op == "!=":
            return a != b
        return {">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]

    return test
