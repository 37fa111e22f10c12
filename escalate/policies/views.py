from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from escalate.policies.models import Policy
from escalate.policies.presenters import present_policy
from escalate.policies.selectors import current_policies, current_policy_for


def home(request: HttpRequest) -> HttpResponse:
    policies = [present_policy(policy) for policy in current_policies()]
    return render(request, "policies/home.html", {"policies": policies})


def policy_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        policy = current_policy_for(slug)
    except Policy.DoesNotExist:
        raise Http404("No such partnership.") from None
    return render(request, "policies/detail.html", {"policy": present_policy(policy)})
