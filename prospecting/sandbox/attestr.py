"""Sandbox Attestr `POST /api/v2/public/leadx/mca-cin-contact`: directors per CIN.

Every error code is reachable: an API key `code-<n>` (or the X-Sandbox setting
`attestr_code`) answers with Attestr error `<n>`; a registration number whose
digits end in zeros (`…000000`, `AAA-0000`) answers `valid: false`.
"""

import re

from flask import jsonify
from flask import request

from prospecting.sandbox import bp
from prospecting.sandbox import contracts
from prospecting.sandbox import faults

CODES = {
    4001: (400, "Malformed request or missing parameter."),
    40051: (400, "Endpoint does not support the requested version."),
    4005: (400, "Low credit balance."),
    4016: (401, "Invalid client authorization."),
    4031: (403, "Unauthorized access."),
    4035: (403, "Service not provisioned for this account."),
    4039: (403, "Client IP not whitelisted."),
    4291: (429, "Account rate limit exceeded."),
    4292: (429, "API rate limit exceeded."),
    4293: (429, "Account daily limit exceeded."),
}
REG = re.compile(r"^(?:[LU]\d{5}[A-Z]{2}\d{4}[A-Z]{3}\d{6}|[A-Z]{3}-\d{4})$")
FIRST = ("GITANJALI", "RAHUL", "PRIYA", "ARJUN", "SUNITA", "VIKRAM", "ANANYA", "KIRAN")
LAST = ("RAHEJA", "SHARMA", "IYER", "REDDY", "MEHTA", "KAPOOR", "NAIR", "GUPTA")
CITIES = (
    ("Hyderabad", "Telangana", "500081"),
    ("Mumbai", "Maharashtra", "400001"),
    ("Bengaluru", "Karnataka", "560001"),
    ("New Delhi", "Delhi", "110001"),
)


def _error(code: int):
    status, message = CODES[code]
    return jsonify({"httpStatusCode": status, "code": code, "message": message}), status


@bp.post("/attestr/api/<version>/public/leadx/mca-cin-contact")
def attestr_cin_contact(version: str):
    """Directors of a company, deterministic per registration number."""
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Basic ") or not auth[6:].strip():
        return _error(4016)
    key = auth[6:].strip()
    code = faults.settings().get("attestr_code")
    if key.startswith("code-") and key[5:].isdigit():
        code = int(key[5:])
    if code in CODES:
        return _error(int(code))
    if version != "v2":
        return _error(40051)
    fault = faults.inject(
        "attestr",
        rate_body={"httpStatusCode": 429, "code": 4292, "message": CODES[4292][1]},
        error_body={"httpStatusCode": 503, "code": 5031, "message": "Unavailable."},
    )
    if fault is not None:
        return fault
    body = request.get_json(silent=True)
    reg = body.get("reg") if isinstance(body, dict) else None
    if not isinstance(reg, str) or not REG.match(reg.strip().upper()):
        return _error(4001)
    if contracts.problems("attestr", "mca_cin_contact.request", body):
        return _error(4001)  # a parameter the published table does not have
    reg = reg.strip().upper()
    if reg.endswith("000000") or reg.endswith("-0000"):
        return jsonify({"valid": False, "message": "Data not available."})
    return jsonify(_company(reg))


def _company(reg: str) -> dict:
    seed = faults.seed("attestr", reg)
    count = 1 + seed % 6
    return {
        "valid": True,
        "indexId": reg,
        "businessName": f"{LAST[seed % len(LAST)]} {reg[-4:]} PRIVATE LIMITED",
        "contacts": [_director(reg, i) for i in range(count)],
    }


def _director(reg: str, i: int) -> dict:
    seed = faults.seed("attestr", reg, str(i))
    first, last = FIRST[seed % len(FIRST)], LAST[(seed >> 8) % len(LAST)]
    city, state, zip_code = CITIES[(seed >> 16) % len(CITIES)]
    digits = f"9{(seed >> 20) % 10**9:09d}"
    # The doc says the number "may or may not contain the country code".
    style = (seed >> 40) % 4
    mobile = (
        f"+91 {digits[:5]} {digits[5:]}" if style == 0 else
        f"0{digits}" if style == 1 else
        digits if style == 2 else None
    )  # fmt: skip
    email = None if (seed >> 44) % 5 == 0 else f"{first}.{last}{i}@example.in".lower()
    line1 = f"{1 + seed % 200}, {last.title()} Towers"
    return {
        "indexId": f"{(seed >> 24) % 10**8:08d}",
        "fullName": f"{first} {last}",
        "mobileNumber": mobile,
        "emailAddress": email,
        "addresses": [
            {
                "line1": line1,
                "line2": "",
                "locality": "",
                "district": city,
                "city": city,
                "state": state,
                "country": "India",
                "zip": zip_code,
                "fullAddress": f"{line1}, {city}, {state} {zip_code}, India",
            }
        ],
    }
