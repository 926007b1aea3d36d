from channels.generic.websocket import AsyncJsonWebsocketConsumer

from chat.streams import stream_history


class HistoryConsumer(AsyncJsonWebsocketConsumer):
    """Answers {"action": "history", "chunk_size": N} with the room's messages."""

    async def connect(self):
        self.room = self.scope["url_route"]["kwargs"]["room"]
        await self.accept()

    async def receive_json(self, content, **kwargs):
        if content.get("action") != "history":
            await self.send_json(
                {"type": "error", "error": f"unknown action {content.get('action')!r}"}
            )
            return
        chunk_size = int(content.get("chunk_size", 100))
        count = 0
        async for message in stream_history(self.room, chunk_size):
            await self.send_json({"type": "message", **message})
            count += 1
        await self.send_json({"type": "done", "count": count})
