"""Request bodies of the crawler ingestion API (providers.md §7.4), lower camelCase."""

from datetime import datetime
from decimal import Decimal
from typing import Any
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationError
from pydantic import field_validator
from pydantic import model_validator
from pydantic.alias_generators import to_camel

from prospecting.services.errors import InvalidInput

Json = list | dict | str | int | float | bool | None


class CamelModel(BaseModel):
    # Crawlers send numbers as text and ids as numbers: accept both, camelCase keys.
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        coerce_numbers_to_str=True,
        str_strip_whitespace=True,
        extra="ignore",
    )


class Envelope(CamelModel):
    source: str | None = Field(default=None, max_length=120)
    operator_id: str | None = Field(default=None, max_length=120)
    options: dict[str, Any] = Field(default_factory=dict)


class SampleRow(CamelModel):
    region: str | None = Field(default=None, max_length=16)
    product_name: str | None = Field(default=None, max_length=500)
    platform_product_id: str = Field(min_length=1, max_length=128)
    platform_campaign_id: str | None = Field(default=None, max_length=128)
    platform_campaign_name: str | None = Field(default=None, max_length=500)
    status: str = Field(min_length=1, max_length=40)
    request_time_remaining: str | None = Field(default=None, max_length=64)
    platform_creator_display_name: str | None = Field(default=None, max_length=255)
    platform_creator_username: str | None = Field(default=None, max_length=255)
    platform_creator_id: str | None = Field(default=None, max_length=128)
    creator_url: str | None = Field(default=None, max_length=1000)
    stock: int | None = Field(default=None, ge=0)
    available_sample_count: int | None = Field(default=None, ge=0)
    is_showcase: bool | None = None
    post_rate: str | None = Field(default=None, max_length=32)
    actions: Json = None
    action_details: Json = None
    type: Literal["video", "live"] | None = None
    type_number: int | None = Field(default=None, ge=0)
    promotion_name: str | None = Field(default=None, max_length=500)
    promotion_time: str | None = Field(default=None, max_length=64)
    promotion_view_count: int | None = Field(default=None, ge=0)
    promotion_like_count: int | None = Field(default=None, ge=0)
    promotion_comment_count: int | None = Field(default=None, ge=0)
    promotion_order_count: int | None = Field(default=None, ge=0)
    promotion_order_total_amount: Decimal | None = Field(
        default=None, ge=0, max_digits=14, decimal_places=2
    )
    content_summary: Json = None
    logistics_snapshot: Json = None

    @field_validator("status")
    @classmethod
    def _lower_status(cls, value: str) -> str:
        return value.lower()

    @field_validator("type", mode="before")
    @classmethod
    def _blank_type(cls, value):
        if isinstance(value, str):
            return value.strip().lower() or None
        return value

    @model_validator(mode="after")
    def _creator_named(self):
        if not (self.platform_creator_id or self.platform_creator_username):
            raise ValueError("platformCreatorId or platformCreatorUsername is required")
        return self

    @property
    def creator_key(self) -> str:
        return self.platform_creator_id or self.platform_creator_username


class SamplesIngest(Envelope):
    rows: list[SampleRow] = Field(min_length=1)


class CreatorRow(CamelModel):
    model_config = ConfigDict(extra="allow")

    platform_creator_id: str = Field(min_length=1, max_length=128)
    platform_creator_display_name: str | None = Field(default=None, max_length=255)
    platform_creator_username: str | None = Field(default=None, max_length=255)
    creator_url: str | None = Field(default=None, max_length=1000)
    connect: bool | None = None
    reply: bool | None = None
    send: bool | None = None
    whatsapp: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=320)


class CreatorsIngest(Envelope):
    rows: list[CreatorRow] = Field(min_length=1)


class TaskBody(CamelModel):
    model_config = ConfigDict(extra="allow")

    task_id: str = Field(min_length=1, max_length=128)
    platform: str | None = Field(default=None, max_length=40)
    task_name: str | None = Field(default=None, max_length=500)
    task_type: str | None = Field(default=None, max_length=64)
    status: str | None = Field(default=None, max_length=40)
    campaign_id: str | None = Field(default=None, max_length=128)
    campaign_name: str | None = Field(default=None, max_length=500)
    product_id: str | None = Field(default=None, max_length=128)
    product_name: str | None = Field(default=None, max_length=500)
    region: str | None = Field(default=None, max_length=16)
    brand: str | None = Field(default=None, max_length=255)
    account_email: str | None = Field(default=None, max_length=320)
    only_first: bool | int | None = None
    max_creators: int | None = Field(default=None, ge=0)
    target_new_creators: int | None = Field(default=None, ge=0)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    created_at: datetime | None = None


class TasksIngest(Envelope):
    task: TaskBody


class ChatMessage(CamelModel):
    type: str = Field(min_length=1, max_length=20)
    content: str = Field(min_length=1, max_length=10000)
    meta: dict[str, Any] | None = None


class ChatItem(CamelModel):
    platform_creator_id: str = Field(min_length=1, max_length=128)
    messages: list[ChatMessage] = Field(min_length=1)


def parse(model: type[BaseModel], body):
    """Validate a JSON body, or InvalidInput listing each bad field with its row."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise invalid(exc) from exc


def parse_list(model: type[BaseModel], body) -> list:
    """Validate a JSON array of items, collecting the errors of every item."""
    if not isinstance(body, list) or not body:
        raise InvalidInput(
            "The body must be a non-empty JSON array.",
            code="invalid",
            details=[{"row": None, "field": "", "message": "expected a JSON array"}],
        )
    items, errors = [], []
    for index, item in enumerate(body):
        try:
            items.append(model.model_validate(item))
        except ValidationError as exc:
            errors.extend(_errors(exc, prefix=(index,)))
    if errors:
        raise _invalid(errors)
    return items


def invalid(exc: ValidationError) -> InvalidInput:
    return _invalid(_errors(exc))


def _errors(exc: ValidationError, prefix: tuple = ()) -> list[dict]:
    out = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = prefix + tuple(err["loc"])
        row = None
        if prefix:
            row = prefix[0]
        elif len(loc) >= 2 and loc[0] == "rows" and isinstance(loc[1], int):
            row = loc[1]
        out.append({"row": row, "field": _path(loc), "message": err["msg"]})
    return out


def _path(loc: tuple) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".")


def _invalid(errors: list[dict]) -> InvalidInput:
    shown = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return InvalidInput(
        f"{len(errors)} invalid field(s): {shown}{more}",
        code="invalid",
        details=errors,
    )
