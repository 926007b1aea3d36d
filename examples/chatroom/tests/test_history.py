import pytest
from channels.testing import WebsocketCommunicator

from chatroom.asgi import application

from .conftest import EXPECTED

pytestmark = pytest.mark.django_db(transaction=True)


async def history(room, chunk_size):
    communicator = WebsocketCommunicator(application, f"/ws/rooms/{room}/")
    connected, _ = await communicator.connect()
    assert connected
    await communicator.send_json_to({"action": "history", "chunk_size": chunk_size})
    received = []
    while True:
        message = await communicator.receive_json_from(timeout=5)
        received.append(message)
        if message["type"] != "message":
            break
    await communicator.disconnect()
    return received


def without_ids(messages):
    return [
        {key: value for key, value in m.items() if key not in ("id", "type")}
        for m in messages
    ]


async def test_history_in_chunks(lobby, queries):
    received = await history("lobby", chunk_size=2)
    assert [m["type"] for m in received] == ["message"] * 5 + ["done"]
    assert without_ids(received[:5]) == EXPECTED
    assert received[-1] == {"type": "done", "count": 5}
    # One query for the messages with their authors (select_related), one per
    # chunk of two for their tags: 1 + 3.
    assert len(queries) == 4, queries


@pytest.mark.parametrize("chunk_size, expected", [(1, 6), (5, 2), (100, 2)])
async def test_queries_follow_chunk_size(lobby, queries, chunk_size, expected):
    received = await history("lobby", chunk_size=chunk_size)
    assert without_ids(received[:5]) == EXPECTED
    assert len(queries) == expected, queries


async def test_empty_room(lobby, queries):
    assert await history("empty", chunk_size=2) == [{"type": "done", "count": 0}]
    assert len(queries) == 1


async def test_unknown_action(lobby):
    communicator = WebsocketCommunicator(application, "/ws/rooms/lobby/")
    await communicator.connect()
    await communicator.send_json_to({"action": "delete"})
    assert await communicator.receive_json_from() == {
        "type": "error",
        "error": "unknown action 'delete'",
    }
    await communicator.disconnect()
