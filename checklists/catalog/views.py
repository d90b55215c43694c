"""The catalog browser: every catalog's newest version, and one version's items."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from accounts.models import Role
from checklists.catalog.forms import CatalogFilterForm
from checklists.catalog.models import Catalog, CatalogVersion


@require_safe
def catalog_list(request: HttpRequest) -> HttpResponse:
    versions = CatalogVersion.objects.latest_of_each().with_counts().select_related("catalog")
    return render(request, "checklists/catalog_list.html", {"versions": versions})


@require_safe
def catalog_detail(request: HttpRequest, slug: str, number: int | None = None) -> HttpResponse:
    """Browse one version of a catalog (the newest unless a number is given)."""
    catalog = get_object_or_404(Catalog, slug=slug)
    versions = list(catalog.versions.latest_first())
    version = next((v for v in versions if number is None or v.number == number), None)
    if version is None:
        raise Http404("No such catalog version.")
    roles = Role.objects.filter(items__catalog_version=version).distinct()
    form = CatalogFilterForm(request.GET or None, roles=roles)
    items = version.items.select_related("section").prefetch_related("roles", "sources", "prompts")
    if form.is_valid():
        items = items.search(form.cleaned_data["q"])
        if form.cleaned_data["role"]:
            items = items.for_role(form.cleaned_data["role"])
    context = {
        "catalog": catalog,
        "version": version,
        "versions": versions,
        "form": form,
        "filtered": form.is_bound and form.is_valid() and any(form.cleaned_data.values()),
        "items": items,
        "item_total": version.items.count(),
        "sources": version.sources.all(),
        "figures": version.figures.select_related("source").prefetch_related("values"),
    }
    return render(request, "checklists/catalog_detail.html", context)
