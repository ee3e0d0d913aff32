"""Rendering results as plain "cards" that both Discord embeds and the console print.

A card is data, not a discord.Embed, so the service and console stay Discord-free and the same
wording shows up in both places. Discord's limits (embed description 4096, title 256, field value
1024, button/choice label 80/100) are enforced here, once.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from discord.utils import escape_mentions

from recommender.library.scope import EXTRA_ID_BASE

DESCRIPTION_LIMIT = 4096
TITLE_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_NAME_LIMIT = 256
FOOTER_LIMIT = 2048

COLOR_OK = 0xE50914  # the red of the brand it recommends from
COLOR_INFO = 0x5865F2
COLOR_WARN = 0xFAA61A


def clip(text: str, limit: int) -> str:
    """Shorten to `limit` characters with an ellipsis, so Discord never rejects a payload."""
    text = str(text)
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def human_hours(hours: int | None) -> str:
    if hours is None:
        return "unknown hours"
    for div, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if hours >= div:
            return f"{hours / div:.1f}{suffix} hours viewed"
    return f"{hours} hours viewed"


def item_meta(item: Any) -> str:
    """'Show · English · released 2022-11-23 · 507.7M hours viewed' (date only where known)."""
    parts = [item.content_type, item.language]
    if getattr(item, "release_date", None):
        parts.append(f"released {item.release_date}")
    elif getattr(item, "release_year", None):
        parts.append(f"released {item.release_year}")
    item_id = getattr(item, "item_id", None)
    if isinstance(item_id, int) and item_id >= EXTRA_ID_BASE:  # a server's own title: no viewing figures
        parts.append("not in the catalog: this server's own title")
    else:
        parts.append(human_hours(getattr(item, "hours_viewed", None)))
    genres = getattr(item, "genres", "") or ""
    if genres:
        parts.append(clip(genres, 60))
    return escape(" · ".join(str(p) for p in parts if p))


@dataclass
class Card:
    """Embed-shaped data: title, description, fields, footer."""

    title: str
    description: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    footer: str = ""
    color: int = COLOR_INFO

    def __post_init__(self) -> None:
        self.title = clip(self.title, TITLE_LIMIT)
        self.description = clip(self.description, DESCRIPTION_LIMIT)
        self.fields = [(clip(n, FIELD_NAME_LIMIT), clip(v, FIELD_VALUE_LIMIT)) for n, v in self.fields[:25]]
        self.footer = clip(self.footer, FOOTER_LIMIT)

    def to_text(self) -> str:
        lines = [f"== {_unmark(self.title)} =="]
        if self.description:
            lines.append(_unmark(self.description))
        for name, value in self.fields:
            lines.append(f"{_unmark(name)}: {_unmark(value)}")
        if self.footer:
            lines.append(f"-- {self.footer}")
        return "\n".join(lines)


# Discord markdown: emphasis, spoilers, code and masked links anywhere in a line, `<...>` mentions,
# emoji and timestamps, and headings, quotes and lists at the start of a line. discord.utils'
# escape_markdown is not used: it escapes a whole `[..](..)` span with one backslash and leaves the
# `**` and backticks inside it live.
_INLINE = re.compile(r"([\\*_~|`\[\]<])")
_LINE_START = re.compile(r"^(\s*)([#>\-])", re.MULTILINE)
_ESCAPED = re.compile(r"\\([\\*_~|`\[\]<#>\-])")


def _unmark(text: str) -> str:
    """Drop Discord's markdown for the console: our own bold markers, then the escapes of `escape`."""
    return _ESCAPED.sub(r"\1", text.replace("**", "").replace("__", ""))


def plain(text: str) -> str:
    """Markdown text (ours, with escaped user text inside) as the console shows it."""
    return _unmark(text)


def count(n: int, noun: str) -> str:
    """`1 title`, `7 titles`: a library of one is no "1 titles"."""
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def escape(text: object) -> str:
    """User or catalog text made inert before it reaches Discord markdown: the one escaping helper.

    Markdown (`The F**k-It List` stays literal), mentions (`@everyone`, `<@&id>` get a zero-width
    space, on top of the bot's AllowedMentions.none()) and invalid Unicode (a lone surrogate would
    make Discord reject the whole message) are all neutralised.
    """
    text = str(text).encode("utf-8", "replace").decode("utf-8")
    text = _LINE_START.sub(r"\1\\\2", _INLINE.sub(r"\\\1", text))
    return escape_mentions(text)


LIBRARY_MARK = "📚"
VOTE_HINT = "react 👍/👎 or vote per item"  # how to vote on a list in Discord


def recommendation_card(result: Any, request_id: int | None = None, note: str | None = None,
                        alternatives: Sequence[Any] = (), owned: Collection[int] = (),
                        library_only: bool = False, vote_hint: str = VOTE_HINT) -> Card:
    """The answer to /recommend: the resolved title, then the ranked list, version in the footer.

    `note` says how a loose query was read ("using season 4"), so a member who meant another entry
    sees it at once instead of judging a list for a title they did not ask about; `alternatives`
    (matches of other works with the typed name) are listed under it. `owned` ids (titles the server's
    library has) get a 📚 and a legend line; `library_only` says the list is from that library alone.
    `vote_hint` ends the footer: how to vote where the card is shown (the console, which has no
    reactions, gives none and explains /vote on the next line).
    """
    q = result.query
    lines: list[str] = [item_meta(q), *([f"↪ {escape(clip(note, 200))}"] if note else [])]
    for m in list(alternatives)[:3]:
        lines.append(f"  • {escape(clip(m.item.title, 100))} ({escape(f'{m.item.content_type}, {m.item.language}')})")
    lines.append("")
    for rec in result.items:
        it = rec.item
        mark = f"{LIBRARY_MARK} " if it.item_id in owned else ""
        head = f"**{rec.rank}. {mark}{escape(clip(it.title, 100))}**"
        body = f"{item_meta(it)}"
        reason = escape(clip(rec.reason, 120)) if rec.reason else ""
        entry = f"{head}\n{body}" + (f"\n↳ {reason}" if reason else "")
        candidate = "\n".join([*lines, entry])
        if len(candidate) > DESCRIPTION_LIMIT - 40:
            lines.append(f"…and {len(result.items) - rec.rank + 1} more")
            break
        lines.append(entry)
    if not result.items:
        lines.append("No recommendations matched those filters.")
    if library_only:
        lines.append(f"{LIBRARY_MARK} Only titles this server has (its library).")
    elif owned:
        lines.append(f"{LIBRARY_MARK} = this server has it (`from:library` lists only those)")
    footer = f"model {result.model_version}"
    if request_id is not None:
        footer += f" · request {request_id}"
    if vote_hint:
        footer += f" · {vote_hint}"
    return Card(
        title=f"Because you watched {escape(clip(q.title, 200))}",
        description="\n".join(lines),
        footer=footer,
        color=COLOR_OK,
    )


def did_you_mean_text(query: str, candidates: list[Any], reason: str | None = None) -> str:
    shown = escape(clip(query.strip(), 80)) or "(empty)"
    if not candidates:
        # The console and the CLI have no autocomplete: the advice must hold wherever it is read.
        return f"I couldn't find a title matching “{shown}”. Check the spelling or try another title."
    why = f" ({escape(clip(reason, 200))})" if reason else ""
    return "\n".join([f"I'm not sure which title you meant by “{shown}”{why}. Did you mean:",
                      *_numbered(candidates)])


def other_works_text(query: str, chosen: str, candidates: list[Any]) -> str:
    """After a confident list: the other works the typed name also names. Not "I'm not sure" (the
    list was answered), and not a repeat of why; just which list it was and what else to pick."""
    shown = escape(clip(query.strip(), 80))
    other = "another work" if len(candidates) == 1 else f"{len(candidates)} other works"
    lines = [f"“{shown}” also names {other}; the list is for {escape(clip(chosen, 100))}. Did you mean:"]
    return "\n".join([*lines, *_numbered(candidates)])


def _numbered(candidates: list[Any]) -> list[str]:
    """`1. Title (Show, Japanese)` per candidate: the numbers /pick and the buttons follow."""
    return [f"{i}. {escape(clip(m.item.title, 100))} ({escape(f'{m.item.content_type}, {m.item.language}')})"
            for i, m in enumerate(candidates, 1)]


def model_card(version: str, metadata: dict[str, Any], warning: str | None = None,
               now: datetime | None = None) -> Card:
    """/model in words: what the model is worth on real taste, when and on what it was trained.

    Raw metadata keys (`evaluation.gate.metric: taste_ndcg@10`) mean nothing to a server admin; each
    line here says one thing in a sentence, from the version's own metadata (a figure it lacks is
    left out, never guessed).
    """
    lines = [f"Version **{escape(version)}**", model_headline(metadata, now)]
    if warning:
        lines.append(f"⚠️ {escape(warning)}")
    fields = [(name, escape(value)) for name, value in _model_facts(metadata)]
    color = COLOR_WARN if warning else COLOR_INFO
    return Card(title="Active model", description="\n".join(line for line in lines if line), fields=fields,
                color=color)


def model_headline(metadata: dict[str, Any], now: datetime | None = None) -> str:
    """'Quality on real taste 0.082 (0.066-0.098), trained 2 minutes ago on 19,158 titles.'"""
    gate = _section(metadata, "evaluation", "gate")
    parts = []
    value, low, high = gate.get("value"), gate.get("ci_low"), gate.get("ci_high")
    if isinstance(value, (int, float)):
        known = isinstance(low, (int, float)) and isinstance(high, (int, float))
        interval = f" ({low:.3f}–{high:.3f})" if known else ""
        parts.append(f"Quality on real taste {value:.3f}{interval}")
    trained = _ago(metadata.get("created_at"), now)
    items = metadata.get("n_items")
    if trained or isinstance(items, int):
        parts.append("trained" + (f" {trained}" if trained else "")
                     + (f" on {items:,} titles" if isinstance(items, int) else ""))
    if not parts:
        return ""
    text = ", ".join(parts)
    return text[0].upper() + text[1:] + "."


def _model_facts(metadata: dict[str, Any]) -> list[tuple[str, str]]:
    gate = _section(metadata, "evaluation", "gate")
    facts: list[tuple[str, str]] = []
    if isinstance(gate.get("value"), (int, float)):
        metric = str(gate.get("metric", "")).removeprefix("taste_").upper() or "the ranking metric"
        queries = gate.get("queries")
        on = f" over {queries:,} queries" if isinstance(queries, int) else ""
        facts.append(("Quality figure", f"{metric} on real people's co-likes{on}, 95% interval; higher is better"))
    unsafe, kids = gate.get("kids_unsafe_lists"), gate.get("kids_queries")
    if isinstance(unsafe, int) and isinstance(kids, int):
        facts.append(("Kids' safety", f"{unsafe:,} of {kids:,} kids' and family lists held an adult title"))
    params = _section(metadata, "params")
    seconds = metadata.get("train_seconds")
    if isinstance(params.get("epochs"), int):
        took = f" in {seconds:,.0f} s" if isinstance(seconds, (int, float)) else ""
        facts.append(("Training", f"{params['epochs']} epochs{took} (seed {params.get('seed', '?')})"))
    cleaning = _section(metadata, "cleaning")
    enriched = cleaning.get("enriched")
    if isinstance(metadata.get("n_items"), int):
        listed = f", {enriched:,} described by a listing" if isinstance(enriched, int) else ""
        facts.append(("Catalog", f"{metadata['n_items']:,} titles{listed}"))
    return facts


def _section(metadata: dict[str, Any], *path: str) -> dict[str, Any]:
    node: Any = metadata
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _ago(stamp: object, now: datetime | None = None) -> str:
    """'2 minutes ago' from an ISO time ('' when there is none)."""
    try:
        when = datetime.fromisoformat(str(stamp))
    except ValueError:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = max(0.0, ((now or datetime.now(UTC)) - when).total_seconds())
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''} ago"
    return "just now"


def stats_card(stats: list[Any]) -> Card:
    if not stats:
        return Card(title="Feedback per model", description="No votes recorded yet.")
    lines = []
    for s in stats:
        version = getattr(s, "model_version", None) or getattr(s, "version", "?")
        rate = getattr(s, "rate", None)
        rate_txt = f"{rate:.0%}" if isinstance(rate, (int, float)) else "n/a"
        lo, hi = getattr(s, "ci_low", None), getattr(s, "ci_high", None)
        ci = f" (95% CI {lo:.0%}–{hi:.0%})" if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) else ""
        items = f" · item buttons 👍 {s.item_up} · 👎 {s.item_down}" if s.item_up or s.item_down else ""
        if not s.total:  # "0% positive (95% CI 0%–100%) of 0" reads as a verdict; there is none yet
            lines.append(f"**{escape(version)}**: no 👍/👎 reactions on its lists yet{items}")
            continue
        lines.append(f"**{escape(version)}**: 👍 {s.up} · 👎 {s.down} · {rate_txt} positive{ci} of {s.total}{items}")
    return Card(title="Feedback per model", description="\n".join(lines))


def privacy_summary(summary: dict[str, Any]) -> str:
    """/privacy's "about you" part, from feedback.privacy.summarise: counts, then the newest items."""
    c = summary["counts"]
    lines = [
        "**What Reelmate stores about you right now**",
        f"• {c['requests']} recommendation request(s), {c['reaction_votes']} 👍/👎 reaction(s), "
        f"{c['item_votes']} item button vote(s), {c['retrain_jobs']} /retrain run(s), "
        f"{c.get('seen_marks', 0)} title(s) marked as seen.",
    ]
    for r in summary["latest_requests"]:
        title = escape(clip(r["resolved_title"] or "?", 80))
        lines.append(f"• Request {r['id']} on {(r['at'] or '?')[:10]}: “{escape(clip(r['query'], 60))}” → {title}")
    for v in summary["latest_votes"]:
        thumb = "👍" if v["value"] > 0 else "👎"
        lines.append(f"• {thumb} ({v['kind']}) on {escape(clip(str(v['on']), 80))}, {(v['at'] or '?')[:10]}")
    if summary.get("latest_seen"):
        lines.append("• Seen: " + ", ".join(escape(clip(t, 60)) for t in summary["latest_seen"]))
    lines.append("`/privacy export:True` sends all of it as a JSON file; `/forget-me` deletes it.")
    return "\n".join(lines)


PRIVACY_TEXT = (
    "**What Reelmate stores**\n"
    "• For each /recommend: your Discord user id, the server and channel ids, the title you typed, "
    "the title it resolved to, the recommendations shown, the model version and how long it took.\n"
    "• The id of the message with the recommendations, so 👍/👎 reactions can be counted.\n"
    "• Your votes (👍/👎 reactions and per-item buttons) and the titles you marked as seen (👀).\n"
    "• Who started a /retrain and when.\n"
    "Nothing else: no message content, no names, no other reactions. "
    "Data older than {days} days is deleted. `/forget-me` deletes all of yours now."
)
