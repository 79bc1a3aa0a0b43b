"""Labels for field names shown as written (the CSS no longer title-cases them):
"linkedin_url" becomes "LinkedIn URL", "din" becomes "DIN"."""

# Words whose case a plain capitalize() would get wrong.
WORDS = {
    "linkedin": "LinkedIn",
    "url": "URL",
    "din": "DIN",
    "cin": "CIN",
    "gstin": "GSTIN",
    "id": "ID",
    "api": "API",
    "csv": "CSV",
    "crm": "CRM",
}


def field_label(name: str) -> str:
    """A field name as a label: words split on "_", first letter upper case."""
    words = [WORDS.get(w.lower(), w) for w in str(name).split("_") if w]
    if not words:
        return ""
    first = words[0]
    if first not in WORDS.values():
        first = first[:1].upper() + first[1:]
    return " ".join([first, *words[1:]])
