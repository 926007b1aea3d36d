"""The one queryset both the websocket consumer and the HTTP export stream."""

from chat.models import Message


def room_history(room):
    return (
        Message.objects.filter(room__slug=room)
        .select_related("author")
        .prefetch_related("tags")
    )


def as_dict(message):
    # author comes from select_related(), tags from the chunk's prefetch: no query.
    return {
        "id": message.pk,
        "text": message.text,
        "author": message.author.name,
        "tags": [tag.name for tag in message.tags.all()],
    }


async def stream_history(room, chunk_size):
    """Each message of a room as a dict, prefetched chunk by chunk."""
    async for message in room_history(room).aiterator(chunk_size=chunk_size):
        yield as_dict(message)
