"""The OpenAPI 3.1 description of the JSON API, served without a token."""

from flask import jsonify

from prospecting.services.contacts import query
from prospecting.views.api import bp
from prospecting.views.api.openapi_lists import PATHS as LIST_PATHS

TOKENS = [{"ApiKey": []}, {"Bearer": []}]
INGEST_TOKENS = [{"InnerServiceToken": []}, *TOKENS]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _answer(description: str, schema: dict) -> dict:
    return {"description": description, **_json(schema)}


def _errors(schema: str, *statuses: int) -> dict:
    return {str(s): _answer(f"Error ({s})", _ref(schema)) for s in statuses}


def _query(name: str, schema: dict, *, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema}


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _obj(properties: dict, required: tuple = (), **extra) -> dict:
    schema = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


STR = {"type": "string"}
INT = {"type": "integer"}
NSTR = {"type": ["string", "null"]}
NINT = {"type": ["integer", "null"]}
DATE = {"type": "string", "format": "date"}
BOOL = {"type": "boolean"}
NBOOL = {"type": ["boolean", "null"]}
TIME = {"type": ["string", "null"], "format": "date-time"}
# The seed's prospect-search statuses (providers.md §7.3).
SEED_STATUS = {"enum": ["queued", "processing", "completed", "failed"]}
ANY = {}
# Work saved while the queue could not be reached: answered 202 with a notice,
# sent by the reaper once the queue is back (tasks.enqueue_batches).
NOTICE = {"type": "string", "description": "Set when the job waits for the queue."}
SAVED_NOT_SENT = "Saved; starts by itself once the queue is back (see notice)"

PAGINATION = _obj(
    {
        "page": INT,
        "per_page": INT,
        "total": INT,
        "total_pages": INT,
        "has_more": BOOL,
    },
    ("page", "per_page", "total", "total_pages", "has_more"),
)

# One field at fault (the ingestion routes' details).
ERROR_DETAIL = _obj({"row": NINT, "field": STR, "message": STR})
BOOK_COMPANY = _obj(
    {
        "id": INT,
        "name": STR,
        "domain": NSTR,
        "registration_number": NSTR,
        "created_at": TIME,
    },
    ("id", "name"),
)
BOOK_CONTACT = _obj(
    {
        "id": INT,
        "name": STR,
        "email": {**NSTR, "description": "The primary email"},
        "phone": {**NSTR, "description": "The primary phone (E.164)"},
        "title": NSTR,
        "location": NSTR,
        "linkedin_url": NSTR,
        "extra": {
            "type": "object",
            "additionalProperties": STR,
            "description": "The imported file's columns mapped to no field",
        },
        "emails": {
            "type": "array",
            "items": _obj(
                {
                    "email": STR,
                    "verdict": {
                        "enum": ["valid", "risky", "invalid", "unknown", None],
                        "description": "null: never verified",
                    },
                    "flags": {"type": "array", "items": STR},
                    "verified_at": TIME,
                    "primary": BOOL,
                    "source": STR,
                }
            ),
        },
        "phones": {
            "type": "array",
            "items": _obj({"phone": STR, "primary": BOOL, "source": STR}),
        },
        "companies": {
            "type": "array",
            "items": _obj(
                {
                    "id": INT,
                    "name": STR,
                    "domain": NSTR,
                    "role": NSTR,
                    "primary": BOOL,
                }
            ),
        },
        "sources": {
            "type": "array",
            "items": _obj({"source": STR, "ref": NSTR, "added_at": TIME}),
        },
        "sync_state": {"enum": ["pending", "synced", "failed"]},
        "locked_fields": {
            "type": "array",
            "items": STR,
            "description": "Fields edited by hand: no import overwrites them",
        },
        "created_at": TIME,
        "updated_at": TIME,
        "outcome": {
            "enum": ["created", "updated", "skipped"],
            "description": "POST only: new, merged with something new, or known",
        },
    },
    ("id", "name", "emails", "phones", "companies", "sources"),
)
UPDATE_STRATEGY = {
    "enum": ["fill", "overwrite"],
    "description": "A known contact's fields: fill the empty ones (default) or "
    "overwrite with the newer value; fields edited by hand are never written",
}
CONTACT_WRITE = {
    "name": STR,
    "email": NSTR,
    "phone": NSTR,
    "title": NSTR,
    "location": NSTR,
    "company_id": NINT,
}
CONTACT_IMPORT = _obj(
    {
        "job_id": STR,
        "status": STR,
        "source": STR,
        "source_job_id": NSTR,
        "include_risky": BOOL,
        "update_strategy": UPDATE_STRATEGY,
        "total_count": INT,
        "processed_count": INT,
        "entered": {**INT, "description": "New contacts"},
        "merged": {**INT, "description": "Rows merged into a contact already there"},
        "kept_out": INT,
        "kept_out_by_rule": {
            "type": "object",
            "description": "invalid_email, disposable_email, risky_email, no_channel, "
            "suppressed",
            "additionalProperties": INT,
        },
        "error_message": NSTR,
        "completed_at": TIME,
        "notice": NOTICE,
    },
    ("job_id", "status", "entered", "merged", "kept_out", "kept_out_by_rule"),
)

DUPLICATE_GROUP = _obj(
    {
        "contact_ids": {"type": "array", "items": INT},
        "rules": {
            "type": "array",
            "items": {"enum": ["email", "phone", "linkedin", "name_company"]},
        },
        "strong": BOOL,
        "contacts": {
            "type": "array",
            "items": _obj(
                {
                    "id": INT,
                    "name": STR,
                    "email": NSTR,
                    "phone": NSTR,
                    "company_id": NINT,
                    "created_at": TIME,
                }
            ),
        },
    }
)
MERGE_REQUEST = _obj(
    {
        "winner_id": INT,
        "loser_ids": {"type": "array", "items": INT, "minItems": 1, "maxItems": 20},
        "dry_run": BOOL,
    },
    ("winner_id", "loser_ids"),
)
MERGE_ANSWER = _obj(
    {
        "dry_run": BOOL,
        "merge_id": NINT,
        "undo_until": TIME,
        "preview": _obj(
            {
                "winner_id": INT,
                "loser_ids": {"type": "array", "items": INT},
                "fields": {
                    "type": "array",
                    "items": _obj(
                        {
                            "field": STR,
                            "value": ANY,
                            "from": NINT,
                            "others": {"type": "array", "items": ANY},
                        }
                    ),
                },
                "moves": {
                    "type": "array",
                    "items": _obj(
                        {"table": STR, "rows": {"type": "array", "items": ANY}}
                    ),
                },
                "provider_ids": {"type": "object"},
                "locked_fields": {"type": "array", "items": STR},
            }
        ),
    }
)
ERASE_REQUEST = _obj(
    {"confirm": {"type": "string", "description": "The contact's email (or phone)"}},
    ("confirm",),
)
ERASE_ANSWER = _obj(
    {
        "erased": BOOL,
        "contact_id": INT,
        "removed": {"type": "object", "additionalProperties": INT},
        "suppressed": INT,
        "airtable": {"enum": ["deleted", "not_synced", "failed", "not_configured"]},
        "files": {
            "type": "array",
            "description": "Uploaded files rewritten without the person's rows",
            "items": _obj({"file": STR, "rows": INT}),
        },
        "not_scrubbed": {
            "type": "array",
            "description": "Files that could not be rewritten (delete them by hand)",
            "items": _obj({"file": STR, "reason": STR}),
        },
    }
)
SCHEMAS = {
    "DuplicateGroup": DUPLICATE_GROUP,
    "MergeRequest": MERGE_REQUEST,
    "MergeAnswer": MERGE_ANSWER,
    "EraseRequest": ERASE_REQUEST,
    "EraseAnswer": ERASE_ANSWER,
    "Error": _obj(
        {
            "error": _obj(
                {
                    "code": {
                        "type": "string",
                        "description": "What went wrong, for programs: e.g. "
                        "unauthorized, forbidden, not_found, invalid, invalid_json, "
                        "invalid_text, too_large, unavailable.",
                    },
                    "message": {
                        "type": "string",
                        "description": "What went wrong, for people.",
                    },
                    "details": {
                        "description": "null, or what is at fault: the ingestion "
                        "routes list each bad field with its row.",
                        "anyOf": [
                            {"type": "null"},
                            {"type": "array", "items": ERROR_DETAIL},
                            {"type": "object"},
                        ],
                    },
                },
                ("code", "message", "details"),
            )
        },
        ("error",),
        description="The one error body of every JSON API call.",
    ),
    "EmailFinderRequest": _obj(
        {
            "first_name": STR,
            "last_name": STR,
            "full_name": STR,
            "domain": STR,
            "company": STR,
        },
        description="first_name and last_name (or full_name), and the company's "
        "domain or its name (resolved to a domain by the company enricher); "
        "neither domain nor company is a 422.",
        example={"first_name": "Jane", "last_name": "Doe", "domain": "acme.com"},
    ),
    "EmailFinder": _obj(
        {
            "email": NSTR,
            "verdict": {"enum": ["valid", "risky", "not_found"]},
            "confidence": INT,
            "pattern": NSTR,
            "provider": NSTR,
            "cost": {"type": "number"},
            "candidates_tried": {"type": "array", "items": STR},
            "flags": {"type": "array", "items": STR},
            "domain": NSTR,
        },
        (
            "email",
            "verdict",
            "confidence",
            "pattern",
            "provider",
            "cost",
            "candidates_tried",
        ),
    ),  # fmt: skip
    "Health": _obj(
        {"status": STR, "database": STR, "queue": STR},
        ("status", "database", "queue"),
    ),
    "PeopleSearchRequest": _obj(
        {
            "fetch_count": {"type": ["integer", "string", "null"]},
            "filter": {"type": "object"},
        },
        description="A provider filter object: each key a filter name, each value "
        'a string, an array of strings or a {"0": …} object; plus fetch_count.',
        additionalProperties={
            "anyOf": [
                STR,
                {"type": "array", "items": STR},
                {"type": "object", "additionalProperties": STR},
            ]
        },
        example={"job_title": ["CTO"], "company_address_country": ["India"]},
    ),
    "PeopleSearch": _obj(
        {
            "id": STR,
            "status": {"enum": ["PENDING", "PROCESSING", "COMPLETED", "FAILED"]},
            "query_filter": {"type": "object"},
            "fetch_count": INT,
            "reachstream_batch_id": NSTR,
            "error_message": NSTR,
            "created_at": TIME,
            "completed_at": TIME,
            "notice": NOTICE,
        },
        ("id", "status", "query_filter"),
    ),
    "PeopleSearchResults": _obj(
        {
            "count": INT,
            "next": NSTR,
            "previous": NSTR,
            "results": {
                "type": "array",
                "items": _obj(
                    {
                        "id": INT,
                        "full_name": NSTR,
                        "job_title": NSTR,
                        "company_name": NSTR,
                        "email": NSTR,
                        "linkedin_url": NSTR,
                        "raw_data": ANY,
                        "created_at": TIME,
                    }
                ),
            },
        },
        ("count", "next", "previous", "results"),
    ),
    "UploadAccepted": _obj(
        {"job_id": STR, "status": STR, "filename": STR, "notice": NOTICE},
        ("job_id", "status", "filename"),
    ),
    "EnrichmentStatus": _obj(
        {
            "job_id": STR,
            "filename": NSTR,
            "status": STR,
            "total_count": INT,
            "success_count": INT,
            "failed_count": INT,
            "pending_count": INT,
            "started_at": TIME,
            "completed_at": TIME,
        },
        ("job_id", "status", "total_count"),
    ),
    "EnrichmentResults": _obj(
        {
            "job_id": STR,
            "results": {
                "type": "array",
                "items": _obj(
                    {
                        "row_number": INT,
                        "name": NSTR,
                        "email": NSTR,
                        "company": NSTR,
                        "phone": NSTR,
                        "status": STR,
                        "email_valid": NBOOL,
                        "email_verdict": NSTR,
                        "email_flags": {"type": "array", "items": STR},
                        "company_domain": NSTR,
                        "company_size": ANY,
                        "location": NSTR,
                        "error_message": NSTR,
                        "processed_at": TIME,
                    }
                ),
            },
            "pagination": PAGINATION,
        },
        ("job_id", "results", "pagination"),
    ),
    "BookContact": BOOK_CONTACT,
    "BookContacts": _obj(
        {"results": {"type": "array", "items": BOOK_CONTACT}, "pagination": PAGINATION},
        ("results", "pagination"),
    ),
    "BookCompany": BOOK_COMPANY,
    "BookCompanies": _obj(
        {
            "results": {
                "type": "array",
                "items": {"allOf": [BOOK_COMPANY, _obj({"contact_count": INT})]},
            },
            "pagination": PAGINATION,
        },
        ("results", "pagination"),
    ),
    "BookCompanyWithContacts": {
        "allOf": [
            BOOK_COMPANY,
            _obj(
                {
                    "contacts": {
                        "type": "array",
                        "items": _obj(
                            {
                                "id": INT,
                                "name": STR,
                                "email": NSTR,
                                "phone": NSTR,
                                "role": NSTR,
                            }
                        ),
                    }
                }
            ),
        ]
    },
    "BookContactNew": _obj(
        {**CONTACT_WRITE, "linkedin_url": NSTR, "keep_undeliverable": BOOL},
        description="A person needs a deliverable email, a phone or a LinkedIn "
        "profile; an invalid or disposable email is not stored unless "
        "keep_undeliverable.",
    ),
    "BookContactPatch": _obj(
        CONTACT_WRITE
        | {
            "tags": {
                "type": "array",
                "items": {"type": "string", "maxLength": 60},
                "maxItems": 50,
                "description": "The contact's tags, all of them (replaces the old).",
            }
        },
        description="Only the fields sent change; null clears one.",
        additionalProperties=False,
    ),
    "BookImportRequest": _obj(
        {
            "source": {"enum": ["enrichment", "people_search", "prospects"]},
            "job_id": STR,
            "include_risky": BOOL,
            "update_strategy": UPDATE_STRATEGY,
            "row_ids": {
                "type": "array",
                "items": INT,
                "minItems": 1,
                "maxItems": 100000,
                "description": "Only these rows: row numbers of enrichment results, "
                "ids of profiles or prospects (default: all)",
            },
            "list_id": {
                "type": "integer",
                "description": "A static list the people the import brings go on",
            },
        },
        ("source", "job_id"),
    ),
    "BookImport": CONTACT_IMPORT,
    "ProspectJobRequest": _obj(
        {
            "search_criteria": _obj(
                {
                    "category": {"enum": ["people"]},
                    "keywords": STR,
                    "title": STR,
                    "location": {"type": "array", "items": STR, "maxItems": 20},
                    "company_headcount": {
                        "type": "array",
                        "description": "Band names or LinkedIn's size letters A-I "
                        "(A self-employed, B 1-10 … I 10001+).",
                        "items": {
                            "enum": [
                                *"ABCDEFGHI",
                                "self-employed",
                                "1-10",
                                "11-50",
                                "51-200",
                                "201-500",
                                "501-1000",
                                "1001-5000",
                                "5001-10000",
                                "10001+",
                            ]
                        },
                    },
                }
            ),
            "search_type": {"enum": ["linkedin"]},
            "search_source": {
                "enum": ["classic", "sales_navigator", "recruiter"],
                "description": "Without it, the best api the connected account "
                "has: Sales Navigator, then Recruiter, else classic.",
            },
            "target_count": {"type": "integer", "minimum": 1},
        },
        ("search_criteria", "target_count"),
    ),
    "ProspectJobCreated": _obj(
        {
            "success": {"const": True},
            "job_id": STR,
            "status": SEED_STATUS,
            "message": STR,
            "metadata": _obj(
                {"api": STR, "max_results": INT, "estimated_time_seconds": INT}
            ),
            "notice": NOTICE,
        },
        ("success", "job_id", "status"),
    ),
    "ProspectJobStatus": _obj(
        {
            "success": {"const": True},
            "job": _obj(
                {
                    "id": STR,
                    "status": SEED_STATUS,
                    "progress": _obj(
                        {"current": INT, "total": INT, "percentage": {"type": "number"}}
                    ),
                    "results_count": INT,
                    "started_at": TIME,
                    "completed_at": TIME,
                    "error_message": NSTR,
                }
            ),
        },
        ("success", "job"),
    ),
    "ProspectResults": _obj(
        {
            "success": {"const": True},
            "job_id": STR,
            "job_status": SEED_STATUS,
            "prospects": {
                "type": "array",
                "items": _obj(
                    {
                        "id": STR,
                        "name": NSTR,
                        "title": NSTR,
                        "company": NSTR,
                        "linkedinUrl": NSTR,
                        "location": NSTR,
                        "connectionDegree": ANY,
                    }
                ),
            },
            "pagination": PAGINATION,
        },
        ("success", "job_id", "prospects", "pagination"),
    ),
    "ContactFetchRequest": _obj(
        {
            "cin": {"type": "string", "minLength": 1},
            "company_airtable_id": {
                "type": ["string", "null"],
                "pattern": "^rec[A-Za-z0-9]{14}$",
            },
            "max_contacts": {"type": ["integer", "null"], "minimum": 1},
        },
        ("cin",),
    ),
    "ContactFetch": _obj(
        {
            "success": {"const": True},
            "company": _obj(
                {"id": INT, "name": NSTR, "cin": NSTR, "airtable_id": NSTR}
            ),
            "contacts_fetched": INT,
            "contacts_created": INT,
            "contacts_updated": INT,
            "contacts_skipped": INT,
            "synced_to_airtable": INT,
            "sync_failed": INT,
            "contacts": {"type": "array", "items": {"type": "object"}},
        },
        ("success", "company", "contacts"),
    ),
    "IngestEnvelope": _obj(
        {
            "source": {"type": ["string", "null"], "maxLength": 120},
            "operatorId": {"type": ["string", "null"], "maxLength": 120},
            "options": {"type": "object"},
        }
    ),
    "SampleRow": _obj(
        {
            "region": NSTR,
            "productName": NSTR,
            "platformProductId": STR,
            "platformCampaignId": NSTR,
            "platformCampaignName": NSTR,
            "status": STR,
            "requestTimeRemaining": NSTR,
            "platformCreatorDisplayName": NSTR,
            "platformCreatorUsername": NSTR,
            "platformCreatorId": NSTR,
            "creatorUrl": NSTR,
            "stock": NINT,
            "availableSampleCount": NINT,
            "isShowcase": NBOOL,
            "postRate": NSTR,
            "actions": ANY,
            "actionDetails": ANY,
            "type": {"enum": ["video", "live", None]},
            "typeNumber": NINT,
            "promotionName": NSTR,
            "promotionTime": NSTR,
            "promotionViewCount": NINT,
            "promotionLikeCount": NINT,
            "promotionCommentCount": NINT,
            "promotionOrderCount": NINT,
            "promotionOrderTotalAmount": {"type": ["number", "string", "null"]},
            "contentSummary": ANY,
            "logisticsSnapshot": ANY,
        },
        ("platformProductId", "status"),
    ),
    "CreatorRow": _obj(
        {
            "platformCreatorId": STR,
            "platformCreatorDisplayName": NSTR,
            "platformCreatorUsername": NSTR,
            "creatorUrl": NSTR,
            "connect": NBOOL,
            "reply": NBOOL,
            "send": NBOOL,
            "whatsapp": NSTR,
            "email": NSTR,
        },
        ("platformCreatorId",),
    ),
    "OutreachTask": _obj(
        {
            "taskId": STR,
            "platform": NSTR,
            "taskName": NSTR,
            "campaignId": NSTR,
            "campaignName": NSTR,
            "productId": NSTR,
            "productName": NSTR,
            "region": NSTR,
            "brand": NSTR,
            "onlyFirst": {"type": ["boolean", "integer", "null"]},
            "taskType": NSTR,
            "status": NSTR,
            "message": NSTR,
            "accountEmail": NSTR,
            "searchKeywords": ANY,
            "targetNewCreators": NINT,
            "maxCreators": NINT,
            "startedAt": TIME,
            "finishedAt": TIME,
            "createdAt": TIME,
        },
        ("taskId",),
    ),
    "ChatItem": _obj(
        {
            "platformCreatorId": STR,
            "messages": {
                "type": "array",
                "minItems": 1,
                "items": _obj(
                    {"type": STR, "content": STR, "meta": {"type": ["object", "null"]}},
                    ("type", "content"),
                ),
            },
        },
        ("platformCreatorId", "messages"),
    ),
}


def _ingest(row: str) -> dict:
    return {
        "allOf": [
            _ref("IngestEnvelope"),
            _obj(
                {"rows": {"type": "array", "minItems": 1, "items": _ref(row)}},
                ("rows",),
            ),
        ]
    }


def _envelope(data: dict) -> dict:
    return _obj(
        {"code": {"const": 0}, "message": STR, "data": data},
        ("code", "message", "data"),
    )


def _ingest_operation(summary: str, body: dict, data: dict, accepted=False) -> dict:
    answers = {"200": _answer("Done", _envelope(data))}
    if accepted:
        answers["202"] = _answer(SAVED_NOT_SENT, _envelope(data))
    return {
        "post": {
            "summary": summary,
            "tags": ["outreach"],
            "security": INGEST_TOKENS,
            "requestBody": {"required": True, **_json(body)},
            "responses": {**answers, **_errors("Error", 400, 401, 413, 422)},
        }
    }


WEBHOOK_EVENTS = {
    "type": "string",
    "enum": [
        "job.completed",
        "job.failed",
        "job.paused",
        "contact.created",
        "contact.updated",
        "contact.deleted",
        "list.updated",
    ],
}
WEBHOOK = _obj(
    {
        "id": INT,
        "url": STR,
        "events": {"type": "array", "items": WEBHOOK_EVENTS},
        "description": STR,
        "created_at": TIME,
    }
)

COUNTS = _obj({"inserted": INT, "created": INT, "updated": INT})

EXPORT_PARAMETERS = [
    {**_query("format", {"enum": ["csv", "xlsx"], "default": "csv"})},
    {
        **_query("mode", {"enum": ["spreadsheet", "raw"], "default": "spreadsheet"}),
        "description": "CSV for spreadsheets (every cell quoted, a formula "
        "neutralised with a leading ', never a plain number or phone number; "
        "UTF-8 with a BOM) or for import into another tool (values as stored). "
        "XLSX cells are always text.",
    },
    {
        **_query("columns", STR),
        "description": "Comma-separated column names, in the order wanted "
        "(default: every column); an unknown name is a 422 naming it.",
    },
]
# The contact book's filter (`ContactFilter.from_args`): the list and its export.
BOOK_FILTER_PARAMETERS = [
    {
        **_query("q", STR),
        "description": "Name, email, phone or company name holds this.",
    },
    _query("name", STR),
    _query("email", STR),
    _query("verdict", {"enum": list(query.VERDICTS)}),
    _query("company_id", {"type": "integer", "minimum": 1}),
    _query("company_name", STR),
    _query("source", {"enum": list(query.SOURCES)}),
    _query("sync", {"enum": list(query.SYNC_STATES)}),
    _query("list_id", {"type": "integer", "minimum": 1}),
    _query("tag", STR),
    {
        **_query("went_bad", BOOL),
        "description": "Only people whose address went bad at re-verification.",
    },
    *(_query(name, DATE) for name in query.DATE_FIELDS),
]
EXPORT_ANSWER = {
    "description": "The export, streamed as an attachment",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}
        },
    },
}

PATHS = {
    "/health": {
        "get": {
            "summary": "Database and queue reachability",
            "tags": ["health"],
            "security": [],
            "responses": {
                "200": _answer("Healthy", _ref("Health")),
                "503": _answer("A part is down", _ref("Health")),
            },
        }
    },
    "/api/openapi.json": {
        "get": {
            "summary": "This description",
            "tags": ["meta"],
            "security": [],
            "responses": {"200": _answer("OpenAPI 3.1", {"type": "object"})},
        }
    },
    "/api/v1/people-search/": {
        "post": {
            "summary": "Start a people search",
            "tags": ["people search"],
            "requestBody": {"required": True, **_json(_ref("PeopleSearchRequest"))},
            "responses": {
                "201": _answer("Created", _ref("PeopleSearch")),
                "202": _answer(SAVED_NOT_SENT, _ref("PeopleSearch")),
                **_errors("Error", 400, 401, 422),
            },
        }
    },
    "/api/v1/people-search/{search_id}/": {
        "get": {
            "summary": "A people search and its status",
            "tags": ["people search"],
            "parameters": [_path("search_id")],
            "responses": {
                "200": _answer("The search", _ref("PeopleSearch")),
                **_errors("Error", 401, 404),
            },
        }
    },
    "/api/v1/people-search/{search_id}/results/": {
        "get": {
            "summary": "A page of a people search's profiles",
            "tags": ["people search"],
            "parameters": [
                _path("search_id"),
                _query("page", {"type": "integer", "minimum": 1}),
            ],
            "responses": {
                "200": _answer("A page", _ref("PeopleSearchResults")),
                **_errors("Error", 401, 404, 422),
            },
        }
    },
    "/jobs/upload": {
        "post": {
            "summary": "Upload a CSV or XLSX file (its first sheet) to enrich",
            "tags": ["enrichment"],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": _obj(
                            {"file": {"type": "string", "format": "binary"}},
                            ("file",),
                        )
                    }
                },
            },
            "responses": {
                "202": _answer("Accepted", _ref("UploadAccepted")),
                **_errors("Error", 400, 401, 413, 415, 422),
            },
        }
    },
    "/jobs/{job_id}/status": {
        "get": {
            "summary": "Counts and timestamps of an enrichment job",
            "tags": ["enrichment"],
            "parameters": [_path("job_id")],
            "responses": {
                "200": _answer("The job", _ref("EnrichmentStatus")),
                **_errors("Error", 401, 404),
            },
        }
    },
    "/jobs/{job_id}/results": {
        "get": {
            "summary": "A page of an enrichment job's rows",
            "tags": ["enrichment"],
            "parameters": [
                _path("job_id"),
                _query("page", {"type": "integer", "minimum": 1}),
                _query("per_page", {"type": "integer", "minimum": 1, "maximum": 500}),
                _query(
                    "status", {"enum": ["pending", "success", "failed", "cancelled"]}
                ),
                {
                    **_query(
                        "verdict", {"enum": ["valid", "risky", "invalid", "unknown"]}
                    ),
                    "description": "Only rows whose email got this verdict.",
                },
                {
                    **_query(
                        "flag",
                        {"enum": ["catch_all", "role", "disposable", "free_provider"]},
                    ),
                    "description": "Only rows whose email carries this flag "
                    "(`catch-all` and `free_mail` are accepted as aliases).",
                },
            ],
            "responses": {
                "200": _answer("A page", _ref("EnrichmentResults")),
                **_errors("Error", 401, 404, 422),
            },
        }
    },
    "/api/v1/contacts": {
        "get": {
            "summary": "A page of the contact book",
            "tags": ["contact book"],
            "parameters": [
                *BOOK_FILTER_PARAMETERS,
                _query("sort", {"enum": list(query.SORTS)}),
                _query("page", {"type": "integer", "minimum": 1}),
                _query("per_page", {"type": "integer", "minimum": 1, "maximum": 500}),
            ],
            "responses": {
                "200": _answer("A page", _ref("BookContacts")),
                **_errors("Error", 401, 422),
            },
        },
        "post": {
            "summary": "Add a person through the quality gate",
            "tags": ["contact book"],
            "requestBody": {"required": True, **_json(_ref("BookContactNew"))},
            "responses": {
                "201": _answer("Added", _ref("BookContact")),
                "200": _answer("Merged into the contact they are", _ref("BookContact")),
                **_errors("Error", 400, 401, 404, 422),
            },
        },
    },
    "/api/v1/contacts/{contact_id}": {
        "get": {
            "summary": "A contact with its emails, phones, companies and sources",
            "tags": ["contact book"],
            "parameters": [_path("contact_id")],
            "responses": {
                "200": _answer("The contact", _ref("BookContact")),
                **_errors("Error", 401, 404),
            },
        },
        "patch": {
            "summary": "Change a contact's fields",
            "tags": ["contact book"],
            "parameters": [_path("contact_id")],
            "requestBody": {"required": True, **_json(_ref("BookContactPatch"))},
            "responses": {
                "200": _answer("The contact", _ref("BookContact")),
                **_errors("Error", 400, 401, 404, 422),
            },
        },
        "delete": {
            "summary": "Remove a contact",
            "tags": ["contact book"],
            "parameters": [_path("contact_id")],
            "responses": {
                "204": {"description": "Removed"},
                **_errors("Error", 401, 404),
            },
        },
    },
    "/api/v1/duplicates": {
        "get": {
            "summary": "Groups of candidate duplicates with the rules that matched",
            "tags": ["contact book"],
            "parameters": [
                _query("page", INT),
                _query("per_page", {"type": "integer", "maximum": 500}),
            ],
            "responses": {
                "200": _answer(
                    "A page of groups",
                    _obj(
                        {"results": {"type": "array", "items": _ref("DuplicateGroup")}}
                        | {"pagination": PAGINATION}
                    ),
                ),
                **_errors("Error", 401, 422),
            },
        },
    },
    "/api/v1/contacts/merge": {
        "post": {
            "summary": "Merge duplicates into one contact (dry_run: the preview only)",
            "tags": ["contact book"],
            "requestBody": {"required": True, **_json(_ref("MergeRequest"))},
            "responses": {
                "200": _answer(
                    "The preview, and the merge record unless a dry run",
                    _ref("MergeAnswer"),
                ),
                **_errors("Error", 400, 401, 404, 422),
            },
        },
    },
    "/api/v1/contacts/{contact_id}/erase": {
        "post": {
            "summary": "Erase a person's data everywhere and suppress them",
            "tags": ["contact book"],
            "parameters": [_path("contact_id")],
            "requestBody": {"required": True, **_json(_ref("EraseRequest"))},
            "responses": {
                "200": _answer("What was erased", _ref("EraseAnswer")),
                **_errors("Error", 400, 401, 404, 422),
            },
        },
    },
    "/api/v1/contacts/import": {
        "post": {
            "summary": "Add a job's people to the book through the gate, as a job",
            "tags": ["contact book"],
            "requestBody": {"required": True, **_json(_ref("BookImportRequest"))},
            "responses": {
                "202": _answer("Started (or saved, see notice)", _ref("BookImport")),
                **_errors("Error", 400, 401, 404, 422),
            },
        },
    },
    "/api/v1/contacts/import/{job_id}": {
        "get": {
            "summary": "How an import stands: entered, merged, kept out by rule",
            "tags": ["contact book"],
            "parameters": [_path("job_id")],
            "responses": {
                "200": _answer("The import", _ref("BookImport")),
                **_errors("Error", 401, 404),
            },
        },
    },
    "/api/v1/companies": {
        "get": {
            "summary": "A page of the workspace's companies",
            "tags": ["contact book"],
            "parameters": [
                _query("q", STR),
                _query("page", {"type": "integer", "minimum": 1}),
                _query("per_page", {"type": "integer", "minimum": 1, "maximum": 500}),
            ],
            "responses": {
                "200": _answer("A page", _ref("BookCompanies")),
                **_errors("Error", 401, 422),
            },
        },
    },
    "/api/v1/companies/{company_id}": {
        "get": {
            "summary": "A company with its contacts and their roles",
            "tags": ["contact book"],
            "parameters": [_path("company_id")],
            "responses": {
                "200": _answer("The company", _ref("BookCompanyWithContacts")),
                **_errors("Error", 401, 404),
            },
        },
    },
    "/api/linkedin/search/create-job": {
        "post": {
            "summary": "Start a LinkedIn prospect search job",
            "tags": ["prospect search"],
            "requestBody": {"required": True, **_json(_ref("ProspectJobRequest"))},
            "responses": {
                "201": _answer("Queued", _ref("ProspectJobCreated")),
                "202": _answer(SAVED_NOT_SENT, _ref("ProspectJobCreated")),
                "401": _answer("No token", _ref("Error")),
                **_errors("Error", 400, 404, 409, 422),
            },
        },
        "get": {
            "summary": "Status of a prospect search job",
            "tags": ["prospect search"],
            "parameters": [_query("job_id", STR, required=True)],
            "responses": {
                "200": _answer("The job", _ref("ProspectJobStatus")),
                "401": _answer("No token", _ref("Error")),
                **_errors("Error", 404, 422),
            },
        },
    },
    "/api/linkedin/search/results": {
        "get": {
            "summary": "A page of a prospect search job's prospects",
            "tags": ["prospect search"],
            "parameters": [
                _query("job_id", STR, required=True),
                _query("page", {"type": "integer", "minimum": 1}),
                _query("per_page", {"type": "integer", "minimum": 1, "maximum": 200}),
            ],
            "responses": {
                "200": _answer("A page", _ref("ProspectResults")),
                "401": _answer("No token", _ref("Error")),
                **_errors("Error", 404, 422),
            },
        }
    },
    "/contacts/fetch": {
        "post": {
            "summary": "Fetch a company's directors by CIN into the contact book",
            "tags": ["contacts"],
            "requestBody": {"required": True, **_json(_ref("ContactFetchRequest"))},
            "responses": {
                "200": _answer("Fetched", _ref("ContactFetch")),
                "401": _answer("No token", _ref("Error")),
                **_errors("Error", 400, 402, 404, 422, 429, 502, 503),
            },
        }
    },
    "/api/v1/email-finder": {
        "post": {
            "summary": "Find a person's email from their name and company "
            "(synchronous, under the cost caps)",
            "tags": ["finder"],
            "requestBody": {"required": True, **_json(_ref("EmailFinderRequest"))},
            "responses": {
                "200": _answer("Found, or not (email null)", _ref("EmailFinder")),
                **_errors("Error", 400, 402, 422, 429, 502),
            },
        }
    },
    "/api/v1/webhooks": {
        "get": {
            "summary": "The workspace's webhook endpoints",
            "tags": ["webhooks"],
            "responses": {
                "200": _answer(
                    "Endpoints",
                    _obj({"results": {"type": "array", "items": WEBHOOK}}),
                ),
                **_errors("Error", 401),
            },
        },
        "post": {
            "summary": "Register a webhook endpoint (its signing secret is in the "
            "answer, once). Deliveries are POSTed as JSON with the headers "
            "Prospecting-Event, Prospecting-Delivery and Prospecting-Signature "
            "(t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<body>' with the secret>), "
            "and tried again for a day until a 2xx.",
            "tags": ["webhooks"],
            "requestBody": {
                "required": True,
                **_json(
                    _obj(
                        {
                            "url": STR,
                            "events": {
                                "type": "array",
                                "items": WEBHOOK_EVENTS,
                                "minItems": 1,
                            },
                            "description": STR,
                        },
                        ("url", "events"),
                    )
                ),
            },
            "responses": {
                "201": _answer(
                    "Registered", {"allOf": [WEBHOOK, _obj({"secret": STR})]}
                ),
                **_errors("Error", 400, 401, 422),
            },
        },
    },
    "/api/v1/webhooks/{endpoint_id}": {
        "delete": {
            "summary": "Remove a webhook endpoint and its delivery log",
            "tags": ["webhooks"],
            "parameters": [_path("endpoint_id")],
            "responses": {
                "204": {"description": "Removed"},
                **_errors("Error", 401, 404),
            },
        }
    },
    "/api/v1/webhooks/{endpoint_id}/deliveries": {
        "get": {
            "summary": "An endpoint's deliveries, newest first, with every attempt",
            "tags": ["webhooks"],
            "parameters": [
                _path("endpoint_id"),
                _query("page", INT),
                _query("per_page", INT),
            ],
            "responses": {
                "200": _answer(
                    "A page of deliveries",
                    _obj(
                        {
                            "results": {
                                "type": "array",
                                "items": _obj(
                                    {
                                        "id": INT,
                                        "event": WEBHOOK_EVENTS,
                                        "status": {
                                            "type": "string",
                                            "enum": ["pending", "delivered", "failed"],
                                        },
                                        "attempts": {
                                            "type": "array",
                                            "items": _obj(
                                                {
                                                    "at": TIME,
                                                    "status_code": NINT,
                                                    "error": NSTR,
                                                    "duration_ms": INT,
                                                }
                                            ),
                                        },
                                        "next_attempt_at": TIME,
                                        "created_at": TIME,
                                        "delivered_at": TIME,
                                    }
                                ),
                            },
                            "pagination": PAGINATION,
                        }
                    ),
                ),
                **_errors("Error", 401, 404, 422),
            },
        }
    },
    "/api/v1/contacts/export": {
        "get": {
            "summary": "Export the contacts the filters show as CSV or XLSX",
            "description": "The same filters as `GET /api/v1/contacts`: the file "
            "holds every contact its pages list, in id order.",
            "tags": ["contacts"],
            "parameters": [
                *EXPORT_PARAMETERS,
                *BOOK_FILTER_PARAMETERS,
            ],
            "responses": {
                "200": EXPORT_ANSWER,
                **_errors("Error", 401, 422),
            },
        }
    },
    "/api/v1/companies/export": {
        "get": {
            "summary": "Export the companies as CSV or XLSX",
            "tags": ["contacts"],
            "parameters": [
                *EXPORT_PARAMETERS,
                {**_query("q", STR), "description": "Name or domain holds this."},
            ],
            "responses": {
                "200": EXPORT_ANSWER,
                **_errors("Error", 401, 422),
            },
        }
    },
    "/samples/ingest": _ingest_operation(
        "Upsert crawled sample rows",
        _ingest("SampleRow"),
        _obj(
            {
                "inserted": INT,
                "products": INT,
                "created": INT,
                "updated": INT,
                "schedules": INT,
            }
        ),
    ),
    "/creators/ingest": _ingest_operation(
        "Upsert crawled creators", _ingest("CreatorRow"), COUNTS
    ),
    "/outreach_tasks/ingest": _ingest_operation(
        "Upsert an outreach task by taskId",
        {
            "allOf": [
                _ref("IngestEnvelope"),
                _obj({"task": _ref("OutreachTask")}, ("task",)),
            ]
        },
        _obj({"taskId": STR, "id": INT, "action": STR}),
    ),
    "/chatbot/messages": _ingest_operation(
        "Queue chat messages for dispatch",
        {"type": "array", "minItems": 1, "items": _ref("ChatItem")},
        _obj({"count": INT, "messages": INT, "notice": NOTICE}),
        accepted=True,
    ),
}


def _with_access_errors(paths: dict) -> dict:
    """Every operation answers 401 without a live token and 403 to a token whose
    role may not call it (a viewer token's writes), in its family's envelope."""
    out = {}
    for path, operations in paths.items():
        out[path] = {}
        for method, operation in operations.items():
            responses = dict(operation.get("responses", {}))
            if operation.get("security") != []:
                errors = [r for code, r in responses.items() if code[0] in "45"]
                schema = errors[0]["content"]["application/json"]["schema"]
                for status in (401,) if method == "get" else (401, 403):
                    responses.setdefault(str(status), _answer(ACCESS[status], schema))
            out[path][method] = {**operation, "responses": responses}
    return out


ACCESS = {
    401: "No live API token was sent",
    403: "The token's role may not make this call (a viewer token only reads)",
}


def spec() -> dict:
    """The OpenAPI document as a plain dict."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Prospecting API",
            "version": "1.0",
            "description": "Token-authenticated JSON API (X-API-Key, Bearer, or "
            "X-INFound-Inner-Service-Token for the ingestion routes). A token acts "
            "as its role: viewer tokens read (GET); member and admin tokens also "
            "start jobs and ingest (POST). Every error, in every family, is "
            '{"error": {"code", "message", "details"}} with a 4xx or 5xx status; '
            "success bodies keep each family's own fields (the ingestion routes' "
            '{"code": 0, "message": "success", "data"}, the prospect search and '
            'contact fetch routes\' {"success": true, …}).',
        },
        "servers": [{"url": "/"}],
        "security": TOKENS,
        "paths": _with_access_errors(PATHS | LIST_PATHS),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "Bearer": {"type": "http", "scheme": "bearer"},
                "InnerServiceToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-INFound-Inner-Service-Token",
                },
            },
        },
    }


@bp.get("/api/openapi.json")
def openapi():
    """The OpenAPI description of this API (no token needed)."""
    return jsonify(spec())
