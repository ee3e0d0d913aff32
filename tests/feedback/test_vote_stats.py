"""Vote statistics for the vote channel, read from a real migrated SQLite file."""

from __future__ import annotations

from feedback import FeedbackStore
from tests.feedback.conftest import PostedRequest


async def test_one_member_counts_once_per_pair_and_their_latest_vote_wins(
    store: FeedbackStore, post: PostedRequest
) -> None:
    # Three requests for `Dark`, each showing Title 1..5 (see the `post` fixture).
    first, second, third = await post(901), await post(902), await post(903)
    # Member 1 up-votes Title 1 on all three lists: one up vote, not three.
    for request in (first, second, third):
        await store.vote_item(request_id=request, rank=1, user_id=1, value=1)
    # Member 2 up-votes Title 2 on the first list, then down-votes it on a later list: down wins.
    await store.vote_item(request_id=first, rank=2, user_id=2, value=1)
    await store.vote_item(request_id=second, rank=2, user_id=2, value=-1)
    # Member 3 changes a vote in place (an update, not a new row): the new value counts.
    await store.vote_item(request_id=first, rank=2, user_id=3, value=-1)
    await store.vote_item(request_id=first, rank=2, user_id=3, value=1)
    # Member 4 down-votes Title 1: a second member on the same pair counts.
    await store.vote_item(request_id=third, rank=1, user_id=4, value=-1)
    # A whole-list reaction says nothing about one title: not counted.
    await store.vote_message(message_id=901, user_id=5, value=1)

    pairs = await store.pair_vote_counts()
    counts = {(r.query_title, r.item_title): (r.up, r.down) for r in pairs.itertuples()}
    assert counts == {("Dark", "Title 1"): (1, 1), ("Dark", "Title 2"): (1, 1)}

    members = await store.member_votes()
    assert len(members) == 4
    latest = {(r.item_title, r.user_id): r.value for r in members.itertuples()}
    assert latest == {("Title 1", 1): 1, ("Title 1", 4): -1, ("Title 2", 2): -1, ("Title 2", 3): 1}
    assert members["voted_at"].is_monotonic_increasing


async def test_no_votes_is_an_empty_table_with_the_columns(store: FeedbackStore, post: PostedRequest) -> None:
    await post(901)
    pairs = await store.pair_vote_counts()
    assert pairs.empty and list(pairs.columns) == ["query_title", "item_title", "up", "down", "seen"]


async def test_a_seen_mark_counts_once_per_member_and_pair_where_it_was_shown_and_not_voted(
    store: FeedbackStore, post: PostedRequest
) -> None:
    """The weak positive: member 11 was shown Title 1 for `Dark` twice and marked it seen (button,
    then the 👀 reaction on the second list, which marks Title 1..5): one seen count per pair.
    Member 12 marked Title 2 seen but also voted on it: the vote counts, not the mark. Member 13
    marked a title with /seen that was never recommended to them: it names no query, counts nowhere."""
    first, second = await post(911, user_id=11), await post(912, user_id=11)
    await store.mark_seen_item(request_id=first, rank=1, user_id=11)
    await store.mark_seen_message(message_id=912, user_id=11)
    assert second
    voted = await post(913, user_id=12)
    await store.mark_seen_item(request_id=voted, rank=2, user_id=12)
    await store.vote_item(request_id=voted, rank=2, user_id=12, value=-1)
    await store.mark_seen(user_id=13, item_id=101, title="Title 1", source="command")
    # Someone else's mark on a list shown to member 11 does not count: it was not shown to them.
    await store.mark_seen_item(request_id=first, rank=3, user_id=14)

    pairs = await store.pair_vote_counts()
    counts = {(r.query_title, r.item_title): (r.up, r.down, r.seen) for r in pairs.itertuples()}
    assert counts == {
        ("Dark", "Title 1"): (0, 0, 1),
        ("Dark", "Title 2"): (0, 1, 1),  # member 11's mark (via 👀); member 12's vote, not their mark
        ("Dark", "Title 3"): (0, 0, 1),
        ("Dark", "Title 4"): (0, 0, 1),
        ("Dark", "Title 5"): (0, 0, 1),
    }
