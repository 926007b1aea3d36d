import json

import pytest
from django.test import AsyncClient

from .conftest import EXPECTED

pytestmark = pytest.mark.django_db(transaction=True)


async def test_export_streams_ndjson(lobby, queries):
    response = await AsyncClient().get("/rooms/lobby/export.ndjson?chunk_size=2")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    body = b"".join([chunk async for chunk in response.streaming_content])
    lines = [json.loads(line) for line in body.decode().splitlines()]
    assert [{k: v for k, v in m.items() if k != "id"} for m in lines] == EXPECTED
    assert len(queries) == 4, queries
