import json

from django.http import StreamingHttpResponse

from chat.streams import stream_history


async def export_room(request, room):
    """The room's messages as newline-delimited JSON, streamed as they are read."""
    chunk_size = int(request.GET.get("chunk_size", 500))

    async def lines():
        async for message in stream_history(room, chunk_size):
            yield json.dumps(message) + "\n"

    return StreamingHttpResponse(lines(), content_type="application/x-ndjson")
