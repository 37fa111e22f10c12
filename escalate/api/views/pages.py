"""The browser pages of the API: its reference, and each person's tokens.

A token's secret is shown once, on the page that answers the form that created it,
and never again. A person creates, lists and revokes their own tokens; an administrator
lists and revokes (never creates) the tokens of the people in the partnerships they
administer, as a token acts as its holder (decision 16).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from escalate.api import tokens
from escalate.api.docs import SectionDoc, api_schema, reference
from escalate.api.forms import FindPersonForm, TokenForm
from escalate.api.models import ApiToken
from escalate.api.problems import PROBLEM_TYPES
from escalate.api.selectors import administered_by
from escalate.escalations.presenters import form_view, moment
from escalate.organisations.models import Person
from escalate.organisations.selectors import people_in


def _person(request: HttpRequest) -> Person:
    person: Person | None = getattr(request, "person", None)
    if person is None:
        raise Http404("No such page.")
    return person


@lru_cache(maxsize=4)
def _reference_for(urlconf: str) -> tuple[list[SectionDoc], str]:
    schema = api_schema()
    return reference(schema), str(schema.get("info", {}).get("version", ""))


@login_required
@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    _person(request)
    sections, version = _reference_for(str(settings.ROOT_URLCONF))
    return render(
        request,
        "api/docs.html",
        {
            "sections": sections,
            "version": version,
            "problem_types": PROBLEM_TYPES,
            "nav": "api",
        },
    )


# --- Tokens ----------------------------------------------------------------------------------


def _token_rows(person: Person) -> list[dict[str, str | int]]:
    now = timezone.now()
    return [
        {
            "pk": token.pk,
            "name": token.name,
            "prefix": token.prefix,
            "scope": token.get_scope_display(),
            "created": moment(token.created_at),
            "expires": moment(token.expires_at),
            "last_used": moment(token.last_used_at) if token.last_used_at else "Never",
            "status": tokens.token_status(token, now=now),
        }
        for token in tokens.tokens_of(person)
    ]


def _managed_person(request: HttpRequest, pk: int) -> Person:
    """Someone whose tokens the signed-in person may manage; 404 for anyone else."""
    actor = _person(request)
    person = Person.objects.filter(pk=pk).first()
    if person is None or not tokens.may_manage_tokens_of(actor, person):
        raise Http404("No such page.")
    return person


def _list_url(actor: Person, person: Person) -> str:
    if actor.pk == person.pk:
        return reverse("api:tokens")
    return reverse("api:person_tokens", kwargs={"person_pk": person.pk})


@login_required
@require_GET
def token_list(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    return _token_page(request, actor=person, person=person)


@login_required
@require_GET
def person_token_list(request: HttpRequest, person_pk: int) -> HttpResponse:
    person = _managed_person(request, person_pk)
    return _token_page(request, actor=_person(request), person=person)


def _token_page(request: HttpRequest, *, actor: Person, person: Person) -> HttpResponse:
    return render(
        request,
        "api/tokens/list.html",
        {
            "person": person,
            "is_self": actor.pk == person.pk,
            "rows": _token_rows(person),
            "new_url": reverse("api:token_new") if tokens.may_mint_token_for(actor, person) else "",
            "is_administrator": bool(administered_by(actor)),
            "nav": "api",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def token_new(request: HttpRequest) -> HttpResponse:
    """Create a token for oneself: the only way a token is made."""
    person = _person(request)
    form = TokenForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        issued = tokens.issue_token(
            person=person,
            actor=person,
            name=form.cleaned_data["name"],
            scope=form.scope_choice(),
            lifetime=form.lifetime(),
        )
        return render(
            request,
            "api/tokens/created.html",
            {
                "token": issued.token,
                "secret": issued.secret,
                "expires": moment(issued.token.expires_at),
                "list_url": reverse("api:tokens"),
                "docs_url": reverse("api:docs"),
                "nav": "api",
            },
        )
    return render(
        request,
        "api/tokens/new.html",
        {"form": form_view(form), "back": reverse("api:tokens"), "nav": "api"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor = _person(request)
    token = ApiToken.objects.select_related("person").filter(pk=pk).first()
    if token is None or not tokens.may_manage_tokens_of(actor, token.person):
        raise Http404("No such page.")
    back = _list_url(actor, token.person)
    if request.method == "POST":
        tokens.revoke_token(token=token, actor=actor)
        messages.success(request, f"Token '{token.name}' revoked: it no longer works.")
        return redirect(back)
    return render(
        request,
        "api/tokens/revoke.html",
        {"token": token, "person": token.person, "back": back, "nav": "api"},
    )


@login_required
@require_GET
def find_person(request: HttpRequest) -> HttpResponse:
    """For administrators: find someone by email to manage their tokens."""
    actor = _person(request)
    administered = administered_by(actor)
    if not administered:
        raise Http404("No such page.")
    form = FindPersonForm(request.GET or None)
    if form.is_bound and form.is_valid():
        found = (
            people_in(administered).filter(email__iexact=form.cleaned_data["email"].strip()).first()
        )
        if found is not None:
            return redirect("api:person_tokens", person_pk=found.pk)
        form.add_error("email", "Nobody in the partnerships you administer has that email address")
    return render(
        request,
        "api/tokens/find_person.html",
        {"form": form_view(form), "back": reverse("api:tokens"), "nav": "api"},
    )
