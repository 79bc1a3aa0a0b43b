"""The person's traces outside the book's own tables, for an erase: the rows
jobs keep in their params (an import's CSV rows and kept-out rows, any other
kind's), enrichment pages not taken by a worker yet, audit details, merge
snapshots, and the uploaded files on disk (CSV, the CSVs converted from a
workbook's sheets, and the workbook itself), rewritten without their lines."""

import csv
import hashlib
import io
import mmap
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import String
from sqlalchemy import cast
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from prospecting.extensions import db
from prospecting.models import AuditEvent
from prospecting.models import ContactMerge
from prospecting.models import EnrichmentPage
from prospecting.models import Job
from prospecting.models import JobBatch
from prospecting.models import Upload
from prospecting.services import csvfiles
from prospecting.services.contacts.normalise import linkedin_key
from prospecting.services.contacts.normalise import normalise_email
from prospecting.services.contacts.normalise import normalise_phone

ERASED = "[erased]"


@dataclass
class Person:
    """What identifies the person in a stored value."""

    emails: list[str]
    phones: list[str]
    profile: str | None

    @property
    def slug(self) -> str | None:
        """The profile's last path part, as a stored text may hold it."""
        return self.profile.rsplit("/", 1)[-1] if self.profile else None

    @property
    def phone_tails(self) -> list[str]:
        """Each number's last seven digits: what any format of it holds."""
        return [p.lstrip("+")[-7:] for p in self.phones]

    def needles(self) -> list[str]:
        """Substrings a stored text holding the person contains (cheap prefilter)."""
        return [*self.emails, *self.phone_tails, *([self.slug] if self.slug else [])]

    def is_theirs(self, value) -> bool:
        """Whether one stored value is the person's email, phone or profile."""
        if not isinstance(value, str) or not value.strip():
            return False
        text = value.strip()
        if "@" in text and normalise_email(text) in self.emails:
            return True
        if self.phones and sum(c.isdigit() for c in text) >= 7:
            if normalise_phone(text) in self.phones:
                return True
        return bool(
            self.profile
            and "linkedin" in text.lower()
            and linkedin_key(text) == self.profile
        )

    def row_is_theirs(self, row) -> bool:
        values = row.values() if isinstance(row, dict) else row
        return any(self.is_theirs(v) for v in values)

    def in_bytes(self) -> re.Pattern | None:
        """A pattern a file's bytes match wherever `mentions` could match one of
        its lines: an address or the profile's slug in any case, a number's last
        seven digits with a few separators between them ("(415) 555-0101")."""
        parts = [re.escape(e.encode()) for e in self.emails]
        if self.slug:
            parts.append(re.escape(self.slug.encode()))
        for tail in self.phone_tails:
            parts.append(rb"[^0-9\r\n]{0,6}".join(d.encode() for d in tail))
        return re.compile(b"|".join(parts), re.IGNORECASE) if parts else None

    def mentions(self, text: str) -> bool:
        """Whether a text may hold the person (a number in any format counts)."""
        low, digits = text.lower(), re.sub(r"\D", "", text)
        if any(e in low for e in self.emails):
            return True
        if self.slug and self.slug in low:
            return True
        return any(tail in digits for tail in self.phone_tails)


def scrub(value, person: Person) -> tuple[object, int]:
    """The JSON value without the person: rows (lists or dicts) holding one of
    their values dropped, their values elsewhere replaced; and how many went."""
    if isinstance(value, list):
        kept, gone = [], 0
        for item in value:
            if isinstance(item, list | dict) and person.row_is_theirs(item):
                gone += 1
                continue
            item, n = scrub(item, person)
            kept.append(item)
            gone += n
        return kept, gone
    if isinstance(value, dict):
        out, gone = {}, 0
        for key, item in value.items():
            out[key], n = scrub(item, person)
            gone += n
        return out, gone
    if isinstance(value, str) and person.is_theirs(value):
        return ERASED, 1
    if isinstance(value, str) and person.mentions(value):
        text = value
        for email in person.emails:
            text = re.sub(re.escape(email), ERASED, text, flags=re.IGNORECASE)
        return text, int(text != value)
    return value, 0


def _contains(column, person: Person):
    """A case-insensitive prefilter (PostgreSQL's LIKE is case-sensitive)."""
    text = func.lower(cast(column, String))
    return or_(*[text.contains(n.lower()) for n in person.needles() if n])


def job_rows(workspace_id: int, person: Person) -> int:
    """Rows and values of the person in every job's and batch's params."""
    if not person.needles():
        return 0
    count = 0
    jobs = select(Job.id).where(Job.workspace_id == workspace_id)
    for job in db.session.scalars(
        select(Job).where(
            Job.workspace_id == workspace_id, _contains(Job.params, person)
        )
    ):
        job.params, n = scrub(job.params or {}, person)
        count += n
    for batch in db.session.scalars(
        select(JobBatch).where(
            JobBatch.job_id.in_(jobs), _contains(JobBatch.params, person)
        )
    ):
        batch.params, n = scrub(batch.params or {}, person)
        count += n
    return count


def enrichment_pages(workspace_id: int, person: Person) -> int:
    """The person's rows in pages no worker took yet, blanked (a page's rows are
    numbered by position, so they stay, empty)."""
    if not person.needles():
        return 0
    count = 0
    jobs = select(Job.id).where(Job.workspace_id == workspace_id)
    for page in db.session.scalars(
        select(EnrichmentPage).where(
            EnrichmentPage.job_id.in_(jobs), _contains(EnrichmentPage.data, person)
        )
    ):
        rows = []
        for row in page.data or []:
            if isinstance(row, list) and person.row_is_theirs(row):
                rows.append(["" for _ in row])
                count += 1
            else:
                rows.append(row)
        page.data = rows
    return count


def audit_details(workspace_id: int, person: Person) -> int:
    """Audit events keep who did what when, not the person's values."""
    if not person.needles():
        return 0
    count = 0
    for event in db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.workspace_id == workspace_id,
            _contains(AuditEvent.details, person),
        )
    ):
        details, n = scrub(event.details or {}, person)
        if n:
            event.details, count = details, count + 1
    return count


def merge_records(workspace_id: int, person: Person, contact_id: int) -> int:
    """Merges into the erased contact, or whose snapshot holds the person: their
    undo would bring the person back, so the records go."""
    matches = [ContactMerge.winner_id == contact_id]
    if person.needles():
        matches.append(_contains(ContactMerge.snapshot, person))
    stmt = delete(ContactMerge).where(
        ContactMerge.workspace_id == workspace_id, or_(*matches)
    )
    return db.session.execute(stmt).rowcount or 0


def upload_files(workspace_id: int, person: Person) -> tuple[list, list]:
    """Rewrite every stored upload of the workspace holding the person without
    their rows; (files scrubbed with the rows removed, files that could not be)."""
    scrubbed, failed = [], []
    for upload in db.session.scalars(
        select(Upload).where(Upload.workspace_id == workspace_id)
    ):
        stored = Path(upload.stored_path)
        for path in [stored, *csvfiles.converted_paths(stored)]:
            if not path.exists():
                continue
            try:
                if csvfiles.workbooks.is_workbook(path):
                    gone = _rewrite_workbook(path, person)
                else:
                    gone = _rewrite_csv(path, person)
            except Exception as exc:  # a damaged file must not stop the erase
                failed.append({"file": upload.filename, "reason": str(exc)[:200]})
                continue
            if gone:
                scrubbed.append({"file": upload.filename, "rows": gone})
                if path == stored:
                    upload.size_bytes = path.stat().st_size
                    upload.sha256 = _sha256(path)
    return scrubbed, failed


def _records(stream):
    """A CSV file's records as raw bytes, a quoted field's line breaks kept in
    its record."""
    pending = b""
    for line in stream:
        pending += line
        if pending.count(b'"') % 2 == 0:
            yield pending
            pending = b""
    if pending:
        yield pending


def _rewrite_csv(path: Path, person: Person) -> int:
    """Stream the file into a copy without the person's records; 0 (and the
    file untouched) when none is theirs."""
    with open(path, "rb") as src:
        if src.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            _refuse_utf16(path, person)
            return 0
    if not _may_hold(path, person):
        return 0
    gone, tmp = 0, path.with_name(path.name + ".erasing")
    with open(path, "rb") as src, open(tmp, "wb") as out:
        for n, record in enumerate(_records(src)):
            text = record.decode("utf-8", errors="replace")
            if n and person.mentions(text) and _csv_record_is_theirs(text, person):
                gone += 1
                continue
            out.write(record)
    if gone:
        os.replace(tmp, path)
    else:
        tmp.unlink()
    return gone


def _may_hold(path: Path, person: Person) -> bool:
    """Whether the file's bytes may hold the person: one pass of a compiled
    pattern over the mapped file, so that the files without them (most of a
    workspace's uploads) are never read line by line nor rewritten."""
    pattern = person.in_bytes()
    if pattern is None or path.stat().st_size == 0:
        return False
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return pattern.search(m) is not None


def _refuse_utf16(path: Path, person: Person) -> None:
    """A UTF-16 file is not rewritten line by line: when it holds the person it
    is named as not scrubbed (ValueError)."""
    with open(path, encoding="utf-16", errors="replace") as src:
        if any(person.mentions(line) for line in src):
            raise ValueError("a UTF-16 file is not rewritten; delete it by hand")


def _csv_record_is_theirs(text: str, person: Person) -> bool:
    for delimiter in (",", ";", "\t", "|"):
        fields = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
        if person.row_is_theirs(fields):
            return True
    return False


def _rewrite_workbook(path: Path, person: Person) -> int:
    """Copy the workbook sheet by sheet, row by row (openpyxl's streaming modes),
    without the person's rows; its values stay, its formatting does not."""
    from openpyxl import Workbook
    from openpyxl import load_workbook

    source = load_workbook(path, read_only=True, data_only=True)
    copy, gone = Workbook(write_only=True), 0
    try:
        for sheet in source.worksheets:
            target = copy.create_sheet(sheet.title)
            for n, row in enumerate(sheet.iter_rows(values_only=True)):
                if n and person.row_is_theirs([str(v) for v in row if v is not None]):
                    gone += 1
                    continue
                target.append(list(row))
    finally:
        source.close()
    if gone:
        tmp = path.with_name(path.name + ".erasing.xlsx")
        copy.save(tmp)
        os.replace(tmp, path)
    return gone


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 16):
            digest.update(chunk)
    return digest.hexdigest()
