"""Pages for X accounts, the sources we read and the stream of posts they read.

Views are thin: a form validates, one service or selector call, render. Every read goes
through listening.selectors, so a private list and the posts read only through it are
shown to their owner and nobody else; an HTMX request gets only the part it swaps."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from listening import client as x
from listening import permissions as perms
from listening import selectors, services
from listening.filters import TweetFilterSet
from listening.forms import AccountBudgetForm, ReadOnlyAccountForm, SourceForm
from listening.models import Source, XAccount
from socialops import params
from socialops.csv import csv_response
from socialops.forms import apply_service_errors
from socialops.htmx import htmx_redirect, render_form

PAGE_SIZE = 50
OAUTH_SESSION_KEY = "listening_x_oauth"
OWNED_LISTS_CACHE = 15 * 60  # X allows 15 owned-lists reads per 15 minutes


def _source_or_404(request, pk: int) -> Source:
    return get_object_or_404(selectors.source_list(user=request.user), pk=pk)


# --- Stream ---------------------------------------------------------------------------


def _stream_page(request: HttpRequest, filterset: TweetFilterSet) -> dict:
    """One page of the filtered stream, newest first, continued by `?before=<post id>`
    (keyset: stable while new posts arrive, however deep the user scrolls)."""
    if filterset.is_bound and not filterset.is_valid():
        return {"filterset": filterset, "posts": [], "next_url": None, "filtered": True}
    posts = filterset.qs.prefetch_related(selectors.visible_reads_prefetch(user=request.user))
    before = params.id_param(request.GET.get("before"))
    if before:
        posts = posts.filter(pk__lt=before)
    rows = list(posts[: PAGE_SIZE + 1])
    next_url = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        query = request.GET.copy()
        query["before"] = str(rows[-1].pk)
        next_url = f"{request.path}?{query.urlencode()}"
    filtered = any(
        value for key, value in request.GET.items() if key in filterset.filters or "created" in key
    )
    return {"filterset": filterset, "posts": rows, "next_url": next_url, "filtered": filtered}


def _render_stream(request, template: str, context: dict) -> HttpResponse:
    if request.htmx and request.GET.get("before"):
        # "Load more": the next rows and the next button.
        template = "listening/_stream_results.html#rows"
    elif request.htmx and request.htmx.target == "stream-results":
        template = "listening/_stream_results.html"  # the filter bar changed
    return render(request, template, context)


def _every(interval) -> str:
    """A source's interval in words: 15 s, 5 min, 1 h 30 min, 1 day."""
    seconds = int(interval.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{days} day{'s' if days > 1 else ''}"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes else []
    parts += [f"{seconds} s"] if seconds else []
    return " ".join(parts)


@login_required
@require_GET
def stream(request):
    filterset = TweetFilterSet(
        request.GET or None,
        queryset=selectors.tweet_list(user=request.user),
        request=request,
    )
    context = _stream_page(request, filterset)
    context["has_sources"] = selectors.source_list(user=request.user).exists()
    context["can_add"] = perms.can_add_sources(request.user)
    context["show_reads"] = True
    return _render_stream(request, "listening/stream.html", context)


@login_required
@require_GET
def stream_export(request):
    """The filtered stream as CSV (every matching post the user may see)."""
    filterset = TweetFilterSet(
        request.GET or None, queryset=selectors.tweet_list(user=request.user), request=request
    )
    if filterset.is_bound and not filterset.is_valid():
        return HttpResponse(filterset.errors.as_text(), status=400, content_type="text/plain")
    header = [
        "id",
        "created_at",
        "author_username",
        "author_name",
        "text",
        "lang",
        "likes",
        "reposts",
        "replies",
        "impressions",
        "link_clicks",
        "conversation_id",
        "url",
    ]

    def rows():
        for post in filterset.qs.iterator(chunk_size=2000):
            yield [
                post.pk,
                timezone.localtime(post.created_at) if post.created_at else None,
                post.author.username,
                post.author.name,
                post.text,
                post.lang,
                post.like_count,
                post.retweet_count,
                post.reply_count,
                post.impression_count,
                post.url_link_clicks,
                post.conversation_id,
                post.x_url,
            ]

    return csv_response(
        filename=f"posts-{timezone.localdate():%Y-%m-%d}.csv", header=header, rows=rows()
    )


@login_required
@require_GET
def tweet_detail(request, pk: int):
    tweet = selectors.tweet_get(user=request.user, tweet_id=pk)
    if tweet is None:
        raise Http404("No such post, or not one you may see.")
    conversation = list(selectors.conversation_list(user=request.user, tweet=tweet))
    return render(
        request,
        "listening/tweet_detail.html",
        {
            "tweet": tweet,
            "conversation": conversation,
            "reads": tweet.visible_reads,
            "inbox_item": getattr(tweet, "inbox_item", None),
        },
    )


# --- Sources --------------------------------------------------------------------------


@login_required
@require_GET
def source_list(request):
    sources = list(selectors.source_list_with_usage(user=request.user))
    accounts = list(selectors.account_list(user=request.user))
    budgets = selectors.account_budgets(accounts=accounts)
    for source in sources:
        source.can_edit = perms.can_edit_source(request.user, source)
        source.every = _every(source.interval)
        source.budget = budgets.get(source.account_id)
    return render(
        request,
        "listening/source_list.html",
        {
            "sources": sources,
            "can_add": perms.can_add_sources(request.user),
            "has_accounts": bool(accounts),
            "can_manage_accounts": perms.can_manage_accounts(request.user),
            "spends": [(account, budgets[account.pk]) for account in accounts],
            "budget_notices": [(a, budgets[a.pk]) for a in accounts if budgets[a.pk].notice],
        },
    )


def _source_row(request, source: Source, *, queued: bool = False) -> HttpResponse:
    source = selectors.source_list_with_usage(user=request.user).get(pk=source.pk)
    source.can_edit = perms.can_edit_source(request.user, source)
    source.every = _every(source.interval)
    source.budget = selectors.account_budget(account=source.account)
    return render(
        request, "listening/source_list.html#source-row", {"source": source, "queued": queued}
    )


@login_required
@require_http_methods(["GET", "POST"])
def source_create(request):
    perms.require(
        perms.can_add_sources(request.user), "Only department leads and members add sources."
    )
    form = SourceForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            source = services.source_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"“{source}” was added; it runs within a minute.")
            return htmx_redirect(request, source.get_absolute_url())
    return render_form(
        request,
        "listening/source_form.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def source_edit(request, pk: int):
    source = _source_or_404(request, pk)
    perms.require(perms.can_edit_source(request.user, source), "Only its owner or an admin can.")
    form = SourceForm(
        request.POST or None, user=request.user, initial=SourceForm.initial_for(source)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.source_update(actor=request.user, source=source, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Source saved.")
            return htmx_redirect(request, source.get_absolute_url())
    return render_form(
        request,
        "listening/source_form.html",
        {"form": form, "source": source},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def source_toggle(request, pk: int):
    source = _source_or_404(request, pk)
    source = services.source_update(actor=request.user, source=source, enabled=not source.enabled)
    if request.htmx:
        return _source_row(request, source)
    messages.success(request, f"“{source}” {'enabled' if source.enabled else 'paused'}.")
    if request.POST.get("back") == "source":
        return redirect(source)
    return redirect("listening:sources")


@login_required
@require_POST
def source_run(request, pk: int):
    source = _source_or_404(request, pk)
    services.source_run_now(actor=request.user, source=source)
    if request.htmx:
        return render(request, "listening/source_list.html#queued", {"source": source})
    messages.success(request, f"“{source}” was queued to run now.")
    return redirect(source)


@login_required
@require_POST
def source_delete(request, pk: int):
    source = _source_or_404(request, pk)
    services.source_delete(actor=request.user, source=source)
    messages.success(
        request, f"“{source}” was deleted; posts no other source read have left the stream."
    )
    return htmx_redirect(request, reverse("listening:sources"))


@login_required
@require_GET
def source_detail(request, pk: int):
    source = get_object_or_404(selectors.source_list_with_usage(user=request.user), pk=pk)
    source.every = _every(source.interval)
    filterset = TweetFilterSet(
        request.GET or None,
        queryset=selectors.tweet_list(user=request.user, source=source),
        request=request,
    )
    context = _stream_page(request, filterset)
    context.update(
        source=source,
        runs=selectors.run_list(user=request.user, source=source)[:20],
        can_edit=perms.can_edit_source(request.user, source),
        health=selectors.account_health(account=source.account),
    )
    return _render_stream(request, "listening/source_detail.html", context)


@login_required
@require_GET
def source_owned_lists(request):
    """The chosen account's own X lists, to pick from in the source form. Cached: X
    allows 15 such reads per 15 minutes."""
    account_id = params.id_param(request.GET.get("account"))
    accounts = selectors.account_list(user=request.user)
    account = accounts.filter(pk=account_id).first() if account_id else None
    context: dict = {"lists": [], "error": "", "account": account}
    if account is None:
        context["error"] = "Choose the account first."
    elif account.auth != XAccount.Auth.USER or not account.x_user_id:
        context["error"] = "Lists are offered for connected accounts; enter the list's id."
    else:
        key = f"listening:owned-lists:{account.pk}"
        lists = cache.get(key)
        if lists is None:
            try:
                lists = x.client_for(account).owned_lists(account.x_user_id)
            except x.XError as exc:
                context["error"] = f"X did not list them ({exc}); enter the list's id instead."
            else:
                cache.set(key, lists, OWNED_LISTS_CACHE)
        # Someone else's private list is neither offered nor named (X tells any caller
        # with the account's token about all its lists; the cache is the account's).
        hidden = selectors.x_list_ids_private_to_others(user=request.user)
        context["lists"] = [item for item in lists or [] if item.id not in hidden]
        if lists is not None and not context["lists"]:
            context["error"] = f"@{account.username} owns no lists; enter a list's id."
    return render(request, "listening/_owned_lists.html", context)


# --- Accounts -------------------------------------------------------------------------


@login_required
@require_GET
def account_list(request):
    accounts = list(selectors.account_list(user=request.user))
    for account in accounts:
        account.health = selectors.account_health(account=account)
    return render(
        request,
        "listening/account_list.html",
        {"accounts": accounts, "can_manage": perms.can_manage_accounts(request.user)},
    )


@login_required
@require_GET
def account_detail(request, pk: int):
    account = get_object_or_404(selectors.account_list(user=request.user), pk=pk)
    return _account_page(request, account)


def _account_page(
    request, account: XAccount, budget_form: AccountBudgetForm | None = None, status: int = 200
) -> HttpResponse:
    can_manage = perms.can_manage_accounts(request.user)
    if budget_form is None and can_manage:
        budget_form = AccountBudgetForm(
            initial={"monthly_budget": account.monthly_budget, "budget_pause": account.budget_pause}
        )
    return render(
        request,
        "listening/account_detail.html",
        {
            "account": account,
            "health": selectors.account_health(account=account),
            "budget": selectors.account_budget(account=account),
            "budget_form": budget_form,
            "sources": selectors.source_list(user=request.user).filter(account=account),
            "followers": account.follower_counts.all()[:14],
            "can_manage": can_manage,
        },
        status=status,
    )


@login_required
@require_POST
def account_budget(request, pk: int):
    """Set the account's monthly X budget (organisation admins)."""
    account = get_object_or_404(selectors.account_list(user=request.user), pk=pk)
    perms.require(perms.can_manage_accounts(request.user), "Only organisation admins set budgets.")
    form = AccountBudgetForm(request.POST)
    if form.is_valid():
        try:
            services.account_budget_set(actor=request.user, account=account, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{account}'s X budget was saved.")
            return redirect(account)
    return _account_page(request, account, form, status=422)


@login_required
@require_http_methods(["GET", "POST"])
def account_add_read_only(request):
    perms.require(perms.can_manage_accounts(request.user), "Only organisation admins add accounts.")
    form = ReadOnlyAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_add_read_only(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except x.AuthRevoked:
            form.add_error("bearer_token", "X refused this bearer token.")
        except x.XError as exc:
            form.add_error(
                None, f"X could not be asked about @{form.cleaned_data['username']}: {exc}"
            )
        else:
            messages.success(request, f"{account} was added; it can be read, not posted from.")
            return htmx_redirect(request, reverse("listening:accounts"))
    return render_form(
        request,
        "listening/account_read_only_form.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


def _callback_uri(request) -> str:
    return request.build_absolute_uri(reverse("listening:account_callback"))


@login_required
@require_GET
def account_connect(request):
    """Start X's OAuth 2.0 authorization code flow with PKCE (also to reconnect): keep a
    code verifier and a state in the session, and send the admin to X to authorise."""
    perms.require(
        perms.can_manage_accounts(request.user), "Only organisation admins connect X accounts."
    )
    verifier, challenge = x.pkce_pair()
    state = secrets.token_urlsafe(32)
    redirect_uri = _callback_uri(request)
    request.session[OAUTH_SESSION_KEY] = {
        "state": state,
        "verifier": verifier,
        "redirect_uri": redirect_uri,
    }
    return redirect(
        x.authorization_url(
            redirect_uri=redirect_uri, state=state, challenge=challenge, scopes=services.SCOPES
        )
    )


@login_required
@require_GET
def account_callback(request):
    """X sends the admin back here with a code: check the state, trade the code and the
    verifier for tokens, ask X who they belong to, then store the account."""
    perms.require(
        perms.can_manage_accounts(request.user), "Only organisation admins connect X accounts."
    )
    pending = request.session.pop(OAUTH_SESSION_KEY, None)
    state = request.GET.get("state", "")
    if not pending or not secrets.compare_digest(state, pending["state"]):
        messages.error(request, "That sign-in with X had expired or was not ours; try again.")
        return redirect("listening:accounts")
    if request.GET.get("error"):
        messages.error(request, f"X did not connect the account ({request.GET['error']}).")
        return redirect("listening:accounts")
    try:
        tokens = x.exchange_code(
            code=request.GET.get("code", ""),
            verifier=pending["verifier"],
            redirect_uri=pending["redirect_uri"],
        )
        me = x.XClient(token=tokens.access_token).me()
        account = services.account_connect(actor=request.user, tokens=tokens, me=me)
    except x.XError as exc:
        messages.error(request, f"X did not connect the account: {exc}")
    except ValidationError as exc:
        messages.error(request, "The account could not be stored: " + "; ".join(exc.messages))
    else:
        messages.success(request, f"{account} is connected.")
    return redirect("listening:accounts")


def stream_url(**params) -> str:
    return f"{reverse('listening:stream')}?{urlencode(params)}"
