"""The list-writing endpoints: create a list, add and remove members. A prospect list in
SocialOps mirrors a private X list through these (and GET /2/lists/:id/members).

X's rules kept: only the list's owner may change it; a list holds at most 5,000 members
(403 past it); adding a member who is already on the list, or removing one who is not,
changes nothing and answers the same (so a retried write never doubles a member)."""

from __future__ import annotations

from xsim.clock import snowflake
from xsim.genesis import W_LISTS
from xsim.model import XList
from xsim.paging import list_or_error, user_or_error
from xsim.params import ID_RE, Ctx, path_id
from xsim.shapes import forbidden, invalid_request

MAX_MEMBERS = 5000
MAX_NAME = 25
MAX_DESCRIPTION = 100


def _owned_list(ctx: Ctx) -> XList:
    xlist = list_or_error(ctx)
    if xlist.owner_id != ctx.principal.user_id:
        raise forbidden("You are not allowed to add members to or remove members from this List.")
    return xlist


def lists_create(ctx: Ctx) -> tuple[int, dict[str, object]]:
    body = ctx.json()
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME:
        raise invalid_request("name", [str(name)], f"name: must be 1 to {MAX_NAME} characters")
    description = body.get("description") or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise invalid_request(
            "description", [str(description)], f"description: {MAX_DESCRIPTION} characters at most"
        )
    private = body.get("private", False)
    if not isinstance(private, bool):
        raise invalid_request("private", [str(private)], "private: must be true or false")
    world = ctx.world
    xlist = XList(
        id=snowflake(int(ctx.now * 1000), W_LISTS, len(world.lists) % 4096),
        name=name,
        owner_id=ctx.me.id,
        private=private,
        created_at=ctx.now,
        description=description,
    )
    world.lists[xlist.id] = xlist
    return 200, {"data": {"id": str(xlist.id), "name": xlist.name}}


def lists_members_add(ctx: Ctx) -> tuple[int, dict[str, object]]:
    xlist = _owned_list(ctx)
    raw = ctx.json().get("user_id")
    if not isinstance(raw, str | int) or not ID_RE.match(str(raw)):
        raise invalid_request("user_id", [str(raw)], "user_id: must be a user id")
    user = user_or_error(ctx, int(raw), "user_id")
    if user.id not in xlist.member_ids:
        if len(xlist.member_ids) >= MAX_MEMBERS:
            raise forbidden(f"You cannot add more than {MAX_MEMBERS} members to a List.")
        xlist.member_ids.append(user.id)
    return 200, {"data": {"is_member": True}}


def lists_members_remove(ctx: Ctx) -> tuple[int, dict[str, object]]:
    xlist = _owned_list(ctx)
    user_id = path_id(ctx, "user_id")
    if user_id in xlist.member_ids:
        xlist.member_ids.remove(user_id)
    return 200, {"data": {"is_member": False}}
