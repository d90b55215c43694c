from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from notifications import services
from notifications.access import get_notification
from notifications.calendar import calendar_feed
from notifications.forms import PreferenceForm
from notifications.models import Notification, Preference

PAGE_SIZE = 50


@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    mine = Notification.objects.for_user(request.user).select_related("agency")
    page = Paginator(mine, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {"page": page})


@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_notification(request, pk)
    services.notifications_mark_read(user=request.user, pks=[notification.pk])
    if request.htmx:
        notification.refresh_from_db()
        context = {"n": notification, "oob_bell": True}
        return render(request, "notifications/notification_list.html#notification", context)
    return redirect("notification_list")


@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_read(user=request.user)
    messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
    return redirect("notification_list")


@require_http_methods(["GET", "HEAD", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    preference = services.preference_of(request.user)
    data = request.POST if request.method == "POST" else None
    form = PreferenceForm(data, instance=preference)
    if request.method == "POST" and form.is_valid():
        services.preference_update(
            user=request.user,
            digest=form.cleaned_data["digest"],
            digest_hour=form.cleaned_data["digest_hour"],
            muted=form.muted,
        )
        messages.success(request, "Your notification preferences are saved.")
        return redirect("notification_preferences")
    status = 400 if form.errors else 200
    context = {"form": form, "preference": preference}
    return render(request, "notifications/preferences.html", context, status=status)


@require_POST
def notification_calendar_reset(request: HttpRequest) -> HttpResponse:
    services.calendar_token_reset(user=request.user)
    messages.success(request, "Your calendar has a new address: the old one no longer works.")
    return redirect("notification_preferences")


@login_not_required
@require_safe
def notification_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """The person's calendar feed, at an address only they know (and can change)."""
    preference = Preference.objects.select_related("user").filter(calendar_token=token).first()
    if preference is None or not preference.user.is_active:
        raise Http404("No calendar has that address.")
    response = HttpResponse(
        calendar_feed(preference.user), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="muster.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_not_required
@csrf_exempt  # mail clients' one-click unsubscribe POSTs without a form (RFC 8058): the signed link is the proof
@require_http_methods(["GET", "HEAD", "POST"])
def notification_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = services.unsubscribe_read(token)
    if found is None:
        raise Http404("This unsubscribe link is not valid.")
    user, kind = found
    if request.method == "POST":
        services.unsubscribe(user=user, kind=kind)
    context = {"person": user, "kind": Notification.Kind(kind), "done": request.method == "POST"}
    return render(request, "notifications/unsubscribe.html", context)
