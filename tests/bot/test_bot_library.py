"""/library in the offline console, the `from:` option, and /model in words."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from bot import render
from bot.console import Console, parse_recommend_args
from bot.library.service import CONSOLE_GUILD_ID
from bot.services import Services
from tests.bot.bot_helpers import USER_ID
from tests.bot.library_helpers import jellyfin_export


async def test_console_library_import_show_recommend_and_remove(services: Services, tmp_path: Path) -> None:
    wednesday = services.model.recommender.resolve("Wednesday").item
    assert wednesday is not None
    raw, _ = jellyfin_export(services.model.recommender, wednesday.genres)
    export = tmp_path / "jellyfin.csv"
    export.write_bytes(raw)
    (tmp_path / "bad.json").write_text('{"nothing": "here"}')
    lines = [
        "/recommend Wednesday from:library",
        f"/library import {export}",
        "/library show",
        "/recommend Wednesday from:library k:10",
        f"/library import {tmp_path / 'bad.json'}",
        f"/library import {tmp_path / 'missing.csv'}",
        "/library show",
        "/library remove",
        "/recommend Wednesday from:library",
    ]
    out = io.StringIO()
    await Console(services, user_id=USER_ID, stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out).run()
    text = out.getvalue()
    first, imported, *_ = text.split("Reading, matching and embedding")
    assert "no library yet" in first
    assert "✅ 279 matched · ❔ 1 matched with doubt · ➕ 20 not in the catalog" in imported
    assert "This server's library: 300 titles" in text  # /library show (twice: the bad file changed nothing)
    assert text.count("This server's library: 300 titles") == 2
    assert "Only titles this server has" in text
    assert "Nothing was imported: the JSON holds no list of titles" in text
    assert "Cannot read" in text and "missing.csv" in text
    assert "Library removed (300 titles)" in text
    assert text.rstrip().endswith("bye") and text.count("no library yet") == 2
    assert await services.store.get_library(guild_id=CONSOLE_GUILD_ID) is None


def test_from_option_parses_and_refuses_other_values() -> None:
    assert parse_recommend_args("Dark from:library k:3") == {"query": "Dark", "k": 3, "source": "library"}
    assert parse_recommend_args("Dark from:ALL")["source"] == "all"
    try:
        parse_recommend_args("Dark from:netflix")
    except Exception as exc:
        assert "`all` or `library`" in str(exc)
    else:
        raise AssertionError("from:netflix was accepted")


def test_model_card_speaks_in_words() -> None:
    metadata = json.loads(json.dumps({
        "version": "v1", "created_at": "2026-12-03T02:20:00+00:00", "n_items": 19158, "train_seconds": 31.0,
        "params": {"epochs": 12, "seed": 42}, "cleaning": {"enriched": 8718},
        "evaluation": {"gate": {"metric": "taste_ndcg@10", "value": 0.081655, "ci_low": 0.066108,
                                "ci_high": 0.098316, "queries": 345, "kids_unsafe_lists": 0, "kids_queries": 2011}},
    }))
    card = render.model_card("v1", metadata, now=datetime(2026, 12, 3, 2, 22, 5, tzinfo=UTC))
    assert "Quality on real taste 0.082 (0.066–0.098), trained 2 minutes ago on 19,158 titles." in card.description
    text = card.to_text()
    assert "taste_ndcg" not in text and "evaluation." not in text and "ci_low" not in text
    assert "0 of 2,011 kids' and family lists held an adult title" in text
    bare = render.model_card("v2", {})
    assert bare.description == "Version **v2**" and not bare.fields  # nothing guessed
