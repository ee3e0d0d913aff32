"""`python -m bot.retrain_child retrain|train ...`: the recommender's command line with the feedback store's votes.

The bot's `/retrain` runs this in a child process. `retrain --feedback-database URL` (or
FEEDBACK_DATABASE_URL) fits the vote channel of the new version on the members' votes: the
recommender knows nothing of databases, so this composition point, which may use both packages,
hands it a reader built on the feedback store's read-only opener.
"""

from __future__ import annotations

import sys

import pandas as pd

from recommender.cli import VoteDatabaseError, main


def read_member_votes(url: str) -> pd.DataFrame:
    """Every member's latest vote per pair; the store's message as a recommender user error."""
    from feedback import StoreError
    from feedback.readonly import read_votes

    try:
        return read_votes(url, members=True)
    except StoreError as exc:
        raise VoteDatabaseError(str(exc)) from None


def run(argv: list[str] | None = None) -> int:
    """`recommender.cli.main` with the members' votes at hand."""
    return main(argv, read_votes=read_member_votes)


if __name__ == "__main__":
    sys.exit(run())
