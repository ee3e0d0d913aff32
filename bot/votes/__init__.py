"""Votes: 👍/👎 reactions, per-item buttons, the vote outbox and the vote channel the ranking uses."""
