"""The catalog's records: a versioned body of recommendations, frozen once loaded."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from accounts.models import Role


class Catalog(models.Model):
    """A body of recommendations, such as one page of the RAND toolkit, in all its versions."""

    slug = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200, help_text="The title of the newest version.")

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("catalog_detail", kwargs={"slug": self.slug})


class CatalogVersionQuerySet(models.QuerySet["CatalogVersion"]):
    def latest_first(self) -> CatalogVersionQuerySet:
        return self.order_by("-number")

    def latest_of_each(self) -> CatalogVersionQuerySet:
        """The newest version of every catalog."""
        newest = CatalogVersion.objects.filter(catalog=models.OuterRef("catalog")).order_by(
            "-number"
        )
        return self.filter(number=models.Subquery(newest.values("number")[:1]))

    def with_counts(self) -> CatalogVersionQuerySet:
        return self.annotate(
            item_count=models.Count("items", distinct=True),
            section_count=models.Count("sections", distinct=True),
        )


class CatalogVersion(models.Model):
    """One loaded catalog file, frozen: a changed file becomes a new version, never an edit."""

    catalog = models.ForeignKey(Catalog, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(
        help_text="1, 2, 3… in the order the versions were loaded."
    )
    version = models.CharField(max_length=50, help_text="The version label the file gives.")
    title = models.CharField(max_length=200)
    publisher = models.CharField(max_length=200)
    source_url = models.URLField(max_length=500)
    published = models.CharField(
        max_length=10, help_text="ISO date, full or partial (2022, 2022-06)."
    )
    description = models.TextField(blank=True)
    content_sha256 = models.CharField(max_length=64)
    source_file = models.CharField(max_length=255)
    loaded_at = models.DateTimeField(auto_now_add=True)

    objects = CatalogVersionQuerySet.as_manager()

    class Meta:
        ordering = ["catalog", "number"]
        get_latest_by = "number"
        constraints = [
            models.UniqueConstraint("catalog", "number", name="checklists_version_unique_number"),
            models.UniqueConstraint(
                "catalog", "content_sha256", name="checklists_version_unique_content"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.version} (#{self.number})"

    def get_absolute_url(self) -> str:
        return reverse("catalog_version", kwargs={"slug": self.catalog.slug, "number": self.number})


class Source(models.Model):
    """A work that items and figures cite, with its full citation."""

    catalog_version = models.ForeignKey(
        CatalogVersion, on_delete=models.CASCADE, related_name="sources"
    )
    key = models.SlugField(max_length=100)
    citation = models.TextField()
    url = models.URLField(max_length=500, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["catalog_version", "order"]
        constraints = [
            models.UniqueConstraint("catalog_version", "key", name="checklists_source_unique_key"),
        ]

    def __str__(self) -> str:
        return self.citation

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""


class Section(models.Model):
    catalog_version = models.ForeignKey(
        CatalogVersion, on_delete=models.CASCADE, related_name="sections"
    )
    code = models.SlugField(max_length=50)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["catalog_version", "order"]
        constraints = [
            models.UniqueConstraint(
                "catalog_version", "code", name="checklists_section_unique_code"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ItemQuerySet(models.QuerySet["Item"]):
    def for_role(self, role: Role | str) -> ItemQuerySet:
        slug = role if isinstance(role, str) else role.slug
        return self.filter(roles__slug=slug)

    def search(self, text: str) -> ItemQuerySet:
        text = text.strip()
        if not text:
            return self
        return self.filter(
            models.Q(code__icontains=text)
            | models.Q(title__icontains=text)
            | models.Q(guidance__icontains=text)
            | models.Q(why__icontains=text)
            | models.Q(practice__icontains=text)
        )


class Item(models.Model):
    """One actionable recommendation, with a code that stays the same across versions."""

    class Scope(models.TextChoices):
        AGENCY = "agency", "Agency-wide"
        SCHOOL = "school", "Per school"

    class Origin(models.TextChoices):
        """What an item rests on, so that Muster's own suggestions never read as the source's."""

        FINDING = "finding", "From the research"
        CITED = "cited", "From a cited work"
        PRACTICE = "practice", "Suggested practice (Muster)"

    catalog_version = models.ForeignKey(
        CatalogVersion, on_delete=models.CASCADE, related_name="items"
    )
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    guidance = models.TextField(
        help_text="What done looks like: only what the item's origin supports."
    )
    practice = models.TextField(
        "Muster's suggested practice",
        blank=True,
        help_text="Muster's own additions, such as how often to review or exercise.",
    )
    why = models.TextField("why it matters")
    basis = models.CharField(max_length=200, help_text="Where in the source the item comes from.")
    # Rows loaded before origins were recorded are marked as Muster's: an item is never shown as
    # the research's unless its catalog file says so.
    origin = models.CharField(
        max_length=10,
        choices=Origin.choices,
        default=Origin.PRACTICE,
        help_text="What the item rests on: the source's finding, a work it cites, or Muster's own.",
    )
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.AGENCY)
    order = models.PositiveSmallIntegerField(default=0)
    weight = models.PositiveSmallIntegerField(
        "importance (Muster's weighting)",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text="1 (useful) to 3 (critical): Muster's weighting for readiness, not the source's.",
    )
    roles = models.ManyToManyField(Role, related_name="items")
    sources = models.ManyToManyField(Source, related_name="items")

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["catalog_version", "order"]
        constraints = [
            models.UniqueConstraint("catalog_version", "code", name="checklists_item_unique_code"),
            models.CheckConstraint(
                condition=models.Q(weight__gte=1, weight__lte=3),
                name="checklists_item_weight_1_to_3",
            ),
            models.CheckConstraint(
                condition=models.Q(origin__in=["finding", "cited", "practice"]),
                name="checklists_item_origin_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_school_scoped(self) -> bool:
        return self.scope == self.Scope.SCHOOL


class EvidencePrompt(models.Model):
    """A typed question whose answer proves an item; assessment forms render one field each."""

    class Kind(models.TextChoices):
        DATE = "date", "Date"
        NUMBER = "number", "Number"
        BOOLEAN = "boolean", "Yes/no"
        TEXT = "text", "Text"
        CHOICE = "choice", "Choice"
        FILE = "file", "File"

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="prompts")
    key = models.SlugField(max_length=50)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=200)
    help_text = models.TextField(blank=True)
    required = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)
    min_number = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    max_number = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    unit = models.CharField(max_length=50, blank=True)
    min_date = models.DateField(null=True, blank=True)
    max_date = models.DateField(null=True, blank=True)
    not_after_today = models.BooleanField(default=False)
    max_length = models.PositiveIntegerField(null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)
    whole = models.BooleanField(
        default=False, help_text="A count: the answer is a whole number (people, sessions)."
    )
    max_of = models.SlugField(
        max_length=50,
        blank=True,
        help_text="Key of another number prompt of the item that this answer may not exceed.",
    )

    class Meta:
        ordering = ["item", "order"]
        constraints = [
            models.UniqueConstraint("item", "key", name="checklists_prompt_unique_key"),
        ]

    def __str__(self) -> str:
        return self.label

    def answer_text(self, answers: dict) -> str:
        """This prompt's answer among `answers`, as a person reads it ("" when unanswered)."""
        return answer_text(answers.get(self.key), kind=self.kind, unit=self.unit)


def answer_text(value, *, kind: str, unit: str = "") -> str:
    """An evidence answer as a person reads it, from the prompt's kind and unit."""
    if value is None or value == "":
        return ""
    if kind == EvidencePrompt.Kind.BOOLEAN:
        return "Yes" if value else "No"
    if kind == EvidencePrompt.Kind.NUMBER and unit:
        return f"{value} {unit}"
    return str(value)


class Figure(models.Model):
    """A research figure from the source, kept as data for the report and the dashboard."""

    catalog_version = models.ForeignKey(
        CatalogVersion, on_delete=models.CASCADE, related_name="figures"
    )
    key = models.SlugField(max_length=100)
    title = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    period = models.CharField(max_length=50, blank=True)
    unit = models.CharField(max_length=50)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="figures")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["catalog_version", "order"]
        constraints = [
            models.UniqueConstraint("catalog_version", "key", name="checklists_figure_unique_key"),
        ]

    def __str__(self) -> str:
        return self.title


class FigureValue(models.Model):
    figure = models.ForeignKey(Figure, on_delete=models.CASCADE, related_name="values")
    label = models.CharField(max_length=200)
    value = models.PositiveIntegerField()
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["figure", "order"]

    def __str__(self) -> str:
        return f"{self.label}: {self.value}"
