"""Carry the inbox items that exist over to conversations: one message per item, grouped
by X's conversation_id, in the item's department, status and assignee. The items stay:
they are the mentions metric's rows."""

from django.db import migrations

STATUS = {"new": "open", "assigned": "open", "replied": "waiting", "closed": "closed"}


def forwards(apps, schema_editor):
    InboxItem = apps.get_model("listening", "InboxItem")
    Tweet = apps.get_model("listening", "Tweet")
    Conversation = apps.get_model("listening", "Conversation")
    Message = apps.get_model("listening", "Message")
    Event = apps.get_model("listening", "Event")
    items = InboxItem.objects.order_by("tweet_id").values_list(
        "tweet_id", "account_id", "department_id", "status", "assignee_id", "received_at"
    )
    conversations: dict[int, int] = {}
    for tweet_id, account_id, department_id, status, assignee_id, received_at in items.iterator(
        chunk_size=2000
    ):
        tweet = (
            Tweet.objects.filter(pk=tweet_id)
            .values("conversation_id", "author_id", "text", "is_retweet")
            .first()
        )
        if tweet is None or tweet["is_retweet"]:
            continue
        key = tweet["conversation_id"] or tweet_id
        if Message.objects.filter(tweet_id=tweet_id).exists():
            continue
        pk = conversations.get(key)
        if pk is None:
            found = Conversation.objects.filter(kind="public", x_conversation_id=key).first()
            if found is None:
                found = Conversation.objects.create(
                    kind="public",
                    x_conversation_id=key,
                    account_id=account_id,
                    author_id=tweet["author_id"],
                    department_id=department_id,
                    routed_by="source" if department_id else "default",
                    status=STATUS.get(status, "open"),
                    assignee_id=assignee_id,
                    preview=tweet["text"][:280],
                    first_message_at=received_at,
                    last_message_at=received_at,
                    awaiting_since=received_at if status in ("new", "assigned") else None,
                )
                Event.objects.create(
                    conversation=found,
                    action="created",
                    detail="From the mention inbox",
                    at=received_at,
                )
            pk = conversations[key] = found.pk
        else:
            Conversation.objects.filter(pk=pk, last_message_at__lt=received_at).update(
                last_message_at=received_at, preview=tweet["text"][:280]
            )
        Message.objects.create(
            conversation_id=pk,
            direction="in",
            kind="mention",
            tweet_id=tweet_id,
            author_id=tweet["author_id"],
            text=tweet["text"],
            at=received_at,
        )


class Migration(migrations.Migration):
    dependencies = [("listening", "0004_inbox_conversations")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
