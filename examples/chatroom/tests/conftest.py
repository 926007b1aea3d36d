import pytest
from django.db.backends import utils

from chat.models import Message, Person, Room, Tag


@pytest.fixture
def queries(monkeypatch):
    """Every SQL statement run, from any thread (aiterator() runs them in the sync one)."""
    executed = []
    execute = utils.CursorWrapper.execute

    def counting_execute(self, sql, params=None):
        executed.append(sql)
        return execute(self, sql, params)

    monkeypatch.setattr(utils.CursorWrapper, "execute", counting_execute)
    return executed


@pytest.fixture
def lobby(transactional_db):
    """A room with five messages by two people, with zero to two tags each."""
    room = Room.objects.create(slug="lobby")
    Room.objects.create(slug="empty")
    ada, bob = Person.objects.create(name="Ada"), Person.objects.create(name="Bob")
    django, asyncio = Tag.objects.create(name="django"), Tag.objects.create(name="asyncio")
    tags = [[django], [], [django, asyncio], [asyncio], []]
    for i, message_tags in enumerate(tags):
        message = Message.objects.create(
            room=room, author=(ada, bob)[i % 2], text=f"message {i}"
        )
        message.tags.set(message_tags)
    return room


EXPECTED = [
    {"text": "message 0", "author": "Ada", "tags": ["django"]},
    {"text": "message 1", "author": "Bob", "tags": []},
    {"text": "message 2", "author": "Ada", "tags": ["django", "asyncio"]},
    {"text": "message 3", "author": "Bob", "tags": ["asyncio"]},
    {"text": "message 4", "author": "Ada", "tags": []},
]
