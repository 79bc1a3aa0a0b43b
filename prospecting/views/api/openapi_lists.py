"""The OpenAPI description of the lists routes (merged into openapi.py's paths)."""


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _answer(description: str, schema: dict) -> dict:
    return {"description": description, **_json(schema)}


def _errors(*statuses: int) -> dict:
    return {str(s): _answer(f"Error ({s})", _ref("Error")) for s in statuses}


def _param(name: str, where: str, schema: dict) -> dict:
    return {"name": name, "in": where, "required": where == "path", "schema": schema}


STR = {"type": "string"}
INT = {"type": "integer"}
LIST_ID = _param("list_id", "path", STR)
FILTER = {
    "type": "object",
    "description": "A filter of the book: the parameters of GET /api/v1/contacts "
    "(q, verdict, company_id, source, sync, list_id, tag, went_bad); an unknown "
    "key or a bad value is a 422 naming it.",
    "properties": {
        "q": STR,
        "verdict": {"enum": ["valid", "risky", "invalid", "unknown", "unverified"]},
        "company_id": INT,
        "source": STR,
        "sync": {"enum": ["synced", "pending", "failed"]},
        "list_id": INT,
        "tag": STR,
        "went_bad": {"type": "boolean"},
    },
}
LIST = {
    "type": "object",
    "properties": {
        "id": INT,
        "name": STR,
        "kind": {"enum": ["static", "smart"]},
        "filter": {"oneOf": [FILTER, {"type": "null"}]},
        "builtin": {"type": ["string", "null"]},
        "contact_count": INT,
        "created_at": {"type": ["string", "null"], "format": "date-time"},
        "updated_at": {"type": ["string", "null"], "format": "date-time"},
    },
}
SELECTION = {
    "type": "object",
    "description": "Either contact_ids or filter.",
    "properties": {
        "contact_ids": {"type": "array", "items": INT, "maxItems": 10000},
        "filter": FILTER,
    },
    "additionalProperties": False,
}
CHANGED = {
    "type": "object",
    "properties": {
        "added": INT,
        "removed": INT,
        "matched": INT,
        "list": LIST,
        "job_id": STR,
        "status": STR,
    },
}
PAGE = {
    "type": "object",
    "properties": {
        "results": {"type": "array", "items": LIST},
        "pagination": {
            "type": "object",
            "properties": {
                "page": INT,
                "per_page": INT,
                "total": INT,
                "total_pages": INT,
                "has_more": {"type": "boolean"},
            },
        },
    },
}

PATHS = {
    "/api/v1/lists": {
        "get": {
            "summary": "The workspace's lists with their sizes (built-in first)",
            "tags": ["lists"],
            "parameters": [
                _param("page", "query", INT),
                _param("per_page", "query", INT),
            ],
            "responses": {"200": _answer("A page of lists", PAGE), **_errors(401, 422)},
        },
        "post": {
            "summary": "Add a static list, or a smart list saving a filter of the book",
            "tags": ["lists"],
            "requestBody": {
                "required": True,
                **_json(
                    {
                        "type": "object",
                        "properties": {
                            "name": STR,
                            "kind": {"enum": ["static", "smart"]},
                            "filter": FILTER,
                        },
                        "required": ["name"],
                        "additionalProperties": False,
                    }
                ),
            },
            "responses": {
                "201": _answer("Created", LIST),
                **_errors(400, 401, 404, 422),
            },
        },
    },
    "/api/v1/lists/{list_id}": {
        "get": {
            "summary": "A list (a smart list's size evaluated now; its people are "
            "GET /api/v1/contacts?list_id=)",
            "tags": ["lists"],
            "parameters": [LIST_ID],
            "responses": {"200": _answer("The list", LIST), **_errors(401, 404)},
        },
        "patch": {
            "summary": "Rename a list, or change a smart list's filter",
            "tags": ["lists"],
            "parameters": [LIST_ID],
            "requestBody": {
                "required": True,
                **_json(
                    {
                        "type": "object",
                        "properties": {"name": STR, "filter": FILTER},
                        "additionalProperties": False,
                    }
                ),
            },
            "responses": {
                "200": _answer("The list", LIST),
                **_errors(400, 401, 404, 409, 422),
            },
        },
        "delete": {
            "summary": "Remove a list (its people stay in the book)",
            "tags": ["lists"],
            "parameters": [LIST_ID],
            "responses": {"204": {"description": "Removed"}, **_errors(401, 404, 409)},
        },
    },
    "/api/v1/lists/{list_id}/members": {
        op: {
            "summary": summary,
            "tags": ["lists"],
            "parameters": [LIST_ID],
            "requestBody": {"required": True, **_json(SELECTION)},
            "responses": {
                "200": _answer("Done in the request", CHANGED),
                "202": _answer("Over a few hundred contacts: a job", CHANGED),
                **_errors(400, 401, 404, 422),
            },
        }
        for op, summary in (
            (
                "post",
                "Put contacts on a static list (by ids or by a filter); "
                "list.updated is sent to the webhooks",
            ),
            ("delete", "Take contacts off a static list (by ids or by a filter)"),
        )
    },  # fmt: skip
    "/api/v1/lists/{list_id}/export": {
        "get": {
            "summary": "The list's people as CSV or XLSX",
            "tags": ["lists"],
            "parameters": [
                LIST_ID,
                _param("format", "query", {"enum": ["csv", "xlsx"]}),
                _param("mode", "query", {"enum": ["spreadsheet", "raw"]}),
                _param("columns", "query", STR),
            ],
            "responses": {
                "200": {
                    "description": "The export, streamed as an attachment",
                    "content": {
                        "text/csv": {"schema": STR},
                        "application/vnd.openxmlformats-officedocument."
                        "spreadsheetml.sheet": {
                            "schema": {"type": "string", "format": "binary"}
                        },
                    },
                },
                **_errors(401, 404, 422),
            },
        }
    },
}
