"""CSV imports of personnel and completions, through django-import-export.

The library parses the file, looks each row up (an existing person by employee number, an
existing completion by person, course and date), validates it with the models' `full_clean()`,
and runs everything in a transaction that a dry run rolls back. This module adds what an agency
needs on top: the columns a learning-management system exports, lookups scoped to the agency,
a duplicate check within the file, and every problem as (line, column, message).
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

import tablib
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from import_export import fields, resources, widgets
from import_export.instance_loaders import BaseInstanceLoader, CachedInstanceLoader
from import_export.results import RowResult

from accounts.audit import record
from accounts.models import Agency, AuditEvent, User
from training import currency
from training.models import Completion, Course, Import, Person

logger = logging.getLogger(__name__)
DATE_HELP = "Write dates as YYYY-MM-DD, such as 2026-03-14."


class DateWidget(widgets.DateWidget):
    """YYYY-MM-DD only, read by `date.fromisoformat` (strptime was a tenth of an import)."""

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, date) or value is None or value == "":
            return super().clean(value, row, **kwargs)
        text = str(value).strip()
        try:
            if len(text) != 10 or text[4] != "-" or text[7] != "-":
                raise ValueError(text)
            return date.fromisoformat(text)
        except ValueError as error:
            raise ValueError(f"{value!r} is not a date. {DATE_HELP}") from error


class DecimalWidget(widgets.DecimalWidget):
    def clean(self, value, row=None, **kwargs):
        if value is None or str(value).strip() == "":
            return None
        try:
            return Decimal(str(value).strip())
        except (ValueError, ArithmeticError) as error:
            raise ValueError(f"{value!r} is not a number of hours.") from error


class SwornWidget(widgets.Widget):
    VALUES = {"sworn": True, "yes": True, "y": True, "true": True, "1": True,
              "civilian": False, "no": False, "n": False, "false": False, "0": False}  # fmt: skip

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip().casefold()
        if text not in self.VALUES:
            raise ValueError(f"{value!r}: write Sworn or Civilian.")
        return self.VALUES[text]

    def render(self, value, obj=None, **kwargs):
        return "Sworn" if value else "Civilian"


class StatusWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        text = str(value or "active").strip().casefold()
        if text not in Person.Status.values:
            raise ValueError(f"{value!r}: write Active or Separated.")
        return text


class LookupWidget(widgets.ForeignKeyWidget):
    """A foreign key found by a code among the agency's rows, looked up once per import."""

    def __init__(self, queryset, field_name: str, noun: str) -> None:
        super().__init__(queryset.model, field_name)
        self.queryset, self.noun, self._found = queryset, noun, None

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            raise ValueError(f"The {self.noun} is missing.")
        if self._found is None:
            self._found = {getattr(o, self.field).casefold(): o for o in self.queryset}
        if (found := self._found.get(text.casefold())) is None:
            raise ValueError(f"No {self.noun} {text!r} in the agency's records.")
        return found


class AgencyResource(resources.ModelResource):
    # Foreign keys this resource sets itself, to rows it has already found in the agency: the
    # model's check (a query per key and row) is not needed.
    trusted: tuple[str, ...] = ()
    validate_unique = True

    def __init__(self, *, agency: Agency) -> None:
        super().__init__()
        self.agency = agency
        # The file is imported a chunk at a time: what must hold across chunks is kept here.
        self._lines: dict = {}  # a row's key: the first line it was on
        self.keys: dict = {}  # a row's raw cells: the key the loader found for them
        self.touched: set[tuple[int, int]] = set()  # (person, course) of every row imported
        self.chunk_lines: list[int] = []  # the line of the file of each row of this chunk

    def line_of(self, row_number: int) -> int:
        return self.chunk_lines[row_number - 1]

    # Unchanged rows are found by comparing the imported fields before and after, rather than by
    # the library's diff, which deep-copies every instance (a third of an import's time).
    def after_init_instance(self, instance, new, row, **kwargs):
        instance._import_before = None if new else self._values(instance)

    def skip_row(self, instance, original, row, import_validation_errors=None):
        before = getattr(instance, "_import_before", None)
        return bool(
            not import_validation_errors and before is not None and before == self._values(instance)
        )

    def _values(self, instance) -> tuple:
        meta = instance._meta
        return tuple(
            getattr(instance, meta.get_field(f.attribute).attname) for f in self.get_import_fields()
        )

    def _not_imported(self, instance) -> set[str]:
        """The model's fields a file does not set: they keep their defaults, checked once by
        the model's own definition rather than again on every row."""
        if not hasattr(self, "_untouched"):
            imported = {f.attribute for f in self.get_import_fields()}
            self._untouched = {f.name for f in instance._meta.fields} - imported
        return self._untouched

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        try:
            instance.full_clean(
                exclude={*errors, *self.trusted, *self._not_imported(instance)},
                validate_unique=self.validate_unique,
                validate_constraints=self.validate_unique,
            )
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


class PersonResource(AgencyResource):
    trusted = ("agency",)
    employee_number = fields.Field("employee_number", "Employee ID")
    full_name = fields.Field("full_name", "Name")
    rank = fields.Field("rank", "Rank", default="")
    unit = fields.Field("unit", "Unit", default="")
    sworn = fields.Field("sworn", "Sworn", widget=SwornWidget())
    status = fields.Field("status", "Status", widget=StatusWidget(), default="active")
    hired_on = fields.Field("hired_on", "Hire Date", widget=DateWidget())
    separated_on = fields.Field("separated_on", "Separation Date", widget=DateWidget())

    class Meta:
        model = Person
        import_id_fields = ("employee_number",)
        instance_loader_class = CachedInstanceLoader
        use_bulk = True
        batch_size = 1000
        fields = ("employee_number", "full_name", "rank", "unit", "sworn", "status",
                  "hired_on", "separated_on")  # fmt: skip
        skip_unchanged = True
        report_skipped = True
        skip_diff = True
        clean_model_instances = True

    def get_queryset(self):
        return Person.objects.of(self.agency)

    def init_instance(self, row=None):
        return Person(agency=self.agency)

    def before_import_row(self, row, **kwargs):
        number = str(row.get("Employee ID") or "").strip()
        row["Employee ID"] = number
        here = self.line_of(kwargs["row_number"])
        if number and (line := self._lines.setdefault(number.casefold(), here)) != here:
            raise ValidationError(
                {"employee_number": f"Employee ID {number} is also on line {line}."}
            )


class CompletionLoader(BaseInstanceLoader):
    """The agency's existing completions of the file's courses and dates, found in one query
    (the library's own loader asks the database once per row)."""

    def __init__(self, resource, dataset=None) -> None:
        super().__init__(resource, dataset)
        # Each row's key, by its three raw cells: found once here, read again per row.
        resource.keys = {_raw(row): self._key(row) for row in dataset.dict} if dataset else {}
        keys = [k for k in resource.keys.values() if None not in k]
        self.existing = {}
        if keys:
            found = resource.get_queryset().filter(
                course__in={k[1] for k in keys},
                completed_on__gte=min(k[2] for k in keys),
                completed_on__lte=max(k[2] for k in keys),
                person__in={k[0] for k in keys},
            )
            self.existing = {(c.person_id, c.course_id, c.completed_on): c for c in found}

    def _key(self, row) -> tuple:
        try:
            person, course, day = (self.resource.fields[n].clean(row) for n in
                                   ("person", "course", "completed_on"))  # fmt: skip
        except (ValueError, KeyError):
            return (None, None, None)
        return (person.pk if person else None, course.pk if course else None, day)

    def get_instance(self, row):
        return self.existing.get(self.resource.keys.get(_raw(row)) or self._key(row))


def _raw(row) -> tuple:
    return (row.get("Employee ID"), row.get("Course Code"), row.get("Completion Date"))


class CompletionResource(AgencyResource):
    trusted = ("person", "course")
    # The loader has found any existing completion and before_import_row any repeat in the
    # file, so the unique constraint needs no query per row; the database still enforces it.
    validate_unique = False
    person = fields.Field("person", "Employee ID")
    course = fields.Field("course", "Course Code")
    completed_on = fields.Field("completed_on", "Completion Date", widget=DateWidget())
    hours = fields.Field("hours", "Credit Hours", widget=DecimalWidget())
    provider = fields.Field("provider", "Provider", default="")

    class Meta:
        model = Completion
        import_id_fields = ("person", "course", "completed_on")
        instance_loader_class = CompletionLoader
        use_bulk = True
        batch_size = 1000
        fields = ("person", "course", "completed_on", "hours", "provider")
        skip_unchanged = True
        report_skipped = True
        skip_diff = True
        clean_model_instances = True

    def __init__(self, *, agency: Agency) -> None:
        super().__init__(agency=agency)
        self.fields["person"].widget = LookupWidget(
            Person.objects.of(agency), "employee_number", "employee ID"
        )
        self.fields["course"].widget = LookupWidget(
            Course.objects.available_to(agency), "code", "course code"
        )

    def get_queryset(self):
        return Completion.objects.of(self.agency)

    def before_import_row(self, row, **kwargs):
        # The library finds an existing completion by these fields before it validates the row:
        # check them first, so that a bad one is reported beside its column.
        if None in self.keys.get(_raw(row), (None,)):
            errors = {}
            for name in self.get_import_id_fields():
                try:
                    self.fields[name].clean(row)
                except ValueError as error:
                    errors[name] = str(error)
            if errors:
                raise ValidationError(errors)
        key = tuple(str(row.get(c) or "").strip().casefold()
                    for c in ("Employee ID", "Course Code", "Completion Date"))  # fmt: skip
        here = self.line_of(kwargs["row_number"])
        if (line := self._lines.setdefault(key, here)) != here:
            raise ValidationError({"completed_on": f"The same completion is also on line {line}."})

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        # An LMS that leaves the hours out means the course's own.
        if instance.hours is None and instance.course_id:
            instance.hours = instance.course.hours
        self.touched.add((instance.person_id, instance.course_id))


RESOURCES = {Import.Kind.PERSONNEL: PersonResource, Import.Kind.COMPLETIONS: CompletionResource}
REQUIRED = {
    Import.Kind.PERSONNEL: ("Employee ID", "Name", "Sworn"),
    Import.Kind.COMPLETIONS: ("Employee ID", "Course Code", "Completion Date"),
}
TEMPLATES = {
    Import.Kind.PERSONNEL: [
        ["Employee ID", "Name", "Rank", "Unit", "Sworn", "Status", "Hire Date", "Separation Date"],
        ["1042", "Dana Whitfield", "Sergeant", "Patrol", "Sworn", "Active", "2014-06-02", ""],
        [
            "2210",
            "Luis Ortega",
            "Dispatcher",
            "Communications",
            "Civilian",
            "Active",
            "2019-09-16",
            "",
        ],
    ],
    Import.Kind.COMPLETIONS: [
        ["Employee ID", "Course Code", "Completion Date", "Credit Hours", "Provider"],
        ["1042", "alerrt-level-1", "2025-10-08", "16", "ALERRT (Texas State University)"],
        ["2210", "is-100", "2025-11-20", "2", "FEMA Emergency Management Institute"],
    ],
}


@dataclass
class Problem:
    line: int
    column: str
    message: str


@dataclass
class Preview:
    """What an import would do, line by line, and every problem that stops it.

    Every line is counted and every problem kept; only the first `PREVIEW_LINES` lines' actions
    are kept to show, so that a file of 10,000 lines is not held in memory row by row.
    """

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: list[tuple[int, str, str]] = field(default_factory=list)  # (line, what, summary)
    problems: list[Problem] = field(default_factory=list)
    touched: set[tuple[int, int]] = field(default_factory=set)  # (person, course) of completions

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def lines(self) -> int:
        return self.new + self.updated + self.unchanged

    @property
    def lines_not_shown(self) -> int:
        return self.lines - len(self.rows)

    def counts(self) -> dict:
        return {"new": self.new, "updated": self.updated, "unchanged": self.unchanged}


PREVIEW_LINES = 200
CHUNK_ROWS = 1000


def template_csv(kind: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(TEMPLATES[kind])
    return buffer.getvalue()


def _chunks(reader, width: int, preview: Preview):
    """The file's rows, CHUNK_ROWS at a time, each with its line number; a row of the wrong
    number of columns is a problem of its line. Blank lines are skipped."""
    rows, lines = [], []
    while True:
        try:
            row = next(reader, None)
        except csv.Error as error:
            preview.problems.append(
                Problem(reader.line_num, "", f"This line cannot be read ({error}).")
            )
            continue
        if row is None:
            break
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            preview.problems.append(
                Problem(
                    reader.line_num,
                    "",
                    f"This line has {len(row)} columns; the first line has {width}.",
                )
            )
            continue
        rows.append(row)
        lines.append(reader.line_num)
        if len(rows) == CHUNK_ROWS:
            yield rows, lines
            rows, lines = [], []
    if rows:
        yield rows, lines


def run(upload: Import, *, dry_run: bool) -> Preview:
    """Import (or, with `dry_run`, only try) the file; the caller's transaction holds the writes.

    The file is read as a stream and handed to the library a chunk of rows at a time, so memory
    stays bounded whatever its length; each chunk is its own savepoint inside the caller's
    transaction, rolled back on a dry run.
    """
    preview = Preview()
    reader = csv.reader(io.StringIO(upload.content.lstrip("\ufeff")))
    try:
        headers = [h.strip() for h in next(reader, [])]
    except csv.Error as error:
        preview.problems.append(
            Problem(1, "", f"This is not a CSV file Muster can read ({error}).")
        )
        return preview
    missing = [c for c in REQUIRED[upload.kind] if c not in headers]
    for column in missing:
        preview.problems.append(Problem(1, column, f"The column {column!r} is missing."))
    if missing:
        if other := _kind_of(headers, but=upload.kind):
            preview.problems.insert(0, Problem(1, "", f"The file's columns are those of "
                f"{other.label.lower()}: upload it again as “{other.label}”."))  # fmt: skip
        return preview
    resource = RESOURCES[upload.kind](agency=upload.agency)
    columns = {f.attribute: f.column_name for f in resource.get_import_fields()}
    for rows, lines in _chunks(reader, len(headers), preview):
        resource.chunk_lines = lines
        result = resource.import_data(
            tablib.Dataset(*rows, headers=headers), dry_run=dry_run, use_transactions=True
        )
        for line, row in zip(lines, result.rows, strict=True):
            _read_row(preview, line, row, columns)
        preview.problems += [Problem(lines[0], "", str(e.error)) for e in result.base_errors]
    preview.problems.sort(key=lambda p: p.line)
    preview.touched = resource.touched
    return preview


def _kind_of(headers: list[str], *, but: str) -> Import.Kind | None:
    """The other kind of file these columns make, when a file was uploaded as the wrong kind."""
    return next(
        (
            Import.Kind(kind)
            for kind, required in REQUIRED.items()
            if kind != but and all(c in headers for c in required)
        ),
        None,
    )


def _read_row(preview: Preview, line: int, row: RowResult, columns: dict) -> None:
    kind = row.import_type
    if kind == RowResult.IMPORT_TYPE_INVALID:
        for name, messages in row.validation_error.message_dict.items():
            column = columns.get(name, "")
            preview.problems += [Problem(line, column, m) for m in messages]
    elif kind == RowResult.IMPORT_TYPE_ERROR:
        preview.problems += [Problem(line, "", str(e.error)) for e in row.errors]
    else:
        counter = {"new": "new", "update": "updated", "skip": "unchanged"}[kind]
        setattr(preview, counter, getattr(preview, counter) + 1)
        if len(preview.rows) < PREVIEW_LINES:
            label = {"new": "Create", "update": "Update", "skip": "Unchanged"}[kind]
            preview.rows.append((line, label, row.object_repr or ""))


def count_lines(content: str) -> int:
    """The file's lines of records (not its header, nor blank lines), for its progress."""
    reader = csv.reader(io.StringIO(content.lstrip("\ufeff")))
    try:
        return max(0, sum(1 for row in reader if any(cell.strip() for cell in row)) - 1)
    except csv.Error:
        return 0


class ImportRefused(ValidationError):
    """An import with problems: nothing was written."""

    def __init__(self, preview: Preview) -> None:
        super().__init__("The file has problems; nothing was imported.")
        self.preview = preview


@transaction.atomic
def apply(*, upload: Import, by: User | None) -> Preview:
    """Apply a file, all or nothing, in one transaction; `ImportRefused` if any line has a
    problem. The people and courses it touched have their stored currency refreshed."""
    upload = Import.objects.select_for_update().get(pk=upload.pk)
    if upload.state == Import.State.APPLIED:
        raise ValidationError("This file was already imported.")
    preview = run(upload, dry_run=False)
    if not preview.ok:
        raise ImportRefused(preview)
    if preview.touched:
        people, courses = zip(*preview.touched, strict=True)
        currency.refresh(upload.agency, people=set(people), courses=set(courses))
    upload.state, upload.applied_at, upload.summary = (
        Import.State.APPLIED, timezone.now(), preview.counts()
    )  # fmt: skip
    upload.lines = preview.lines
    upload.save(update_fields=["state", "applied_at", "summary", "lines"])
    record(
        AuditEvent.Action.TRAINING_IMPORTED,
        agency=upload.agency,
        actor=by,
        target=upload,
        summary=f"Imported {upload.get_kind_display().lower()} from {upload.file_name}: "
        f"{preview.new} new, {preview.updated} updated, {preview.unchanged} unchanged",
        sha256=upload.sha256,
        **preview.counts(),
    )
    return preview


def run_queued(upload_id: int) -> str:
    """The task worker's part: a confirmed file applied, and its state kept for its page.

    The import itself is one transaction, so nobody sees a record of it before all are
    written; its page shows that it is running, since when, and then what it did.
    """
    claimed = Import.objects.filter(pk=upload_id, state=Import.State.QUEUED).update(
        state=Import.State.RUNNING, started_at=timezone.now()
    )
    upload = Import.objects.select_related("agency", "queued_by").get(pk=upload_id)
    if not claimed:
        return upload.state  # already run: a task delivered twice does nothing
    unapplied = Import.objects.filter(pk=upload_id).exclude(state=Import.State.APPLIED)
    try:
        apply(upload=upload, by=upload.queued_by)
    except ImportRefused as refused:
        problems = [asdict(p) for p in refused.preview.problems]
        unapplied.update(state=Import.State.REFUSED, problems=problems)
    except Exception as error:
        reference = uuid.uuid4().hex[:8]
        logger.error("Import %s failed (reference %s)", upload_id, reference, exc_info=error)
        # A run given up for stuck may have been applied meanwhile: that stays.
        unapplied.update(state=Import.State.FAILED, error_reference=reference)
    return Import.objects.values_list("state", flat=True).get(pk=upload_id)
