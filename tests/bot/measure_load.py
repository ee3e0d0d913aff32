"""Load test: 200 simultaneous /recommend interactions through the local Discord stand-in.

Not a pytest test (timings depend on the machine); run it by hand:

    .venv/bin/python -m tests.bot.measure_load [--n 200] [--model-dir DIR]

(as a module from the repository root). It lives beside the end-to-end harness it drives (`tests.bot.e2e`,
the Discord stand-in `tests.fakediscord`): a measuring tool of the test suite, not of the product.

Without --model-dir it trains a tiny model on tests/fixtures/catalog_iso.csv first. It prints the
distribution of the time to first response (the interaction callback Discord requires within 3 s)
and to the final message, and how many beat the 3-second deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bot.settings import BotSettings
from tests.bot.e2e import running_bot
from tests.fakediscord import FakeDiscord

REPO = Path(__file__).resolve().parents[2]

CATALOG = REPO / "tests" / "fixtures" / "catalog_iso.csv"
TITLES = ["Wednesday", "The Night Agent", "Ginny & Georgia", "The Glory", "Outer Banks", "Stranger Things"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main(n: int, model_dir: Path | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if model_dir is None:
            model_dir = tmp_path / "models"
            print("training a tiny model…", flush=True)
            train = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "recommender", "train", "--data", str(CATALOG), "--out", str(model_dir),
                "--epochs", "2", "--progress", "json", cwd=REPO,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )
            _, err = await train.communicate()
            if train.returncode != 0:
                raise SystemExit(f"training failed: {err.decode(errors='replace')[-500:]}")
        settings = BotSettings(_env_file=None, discord_token=None, data_dir=tmp_path, model_dir=model_dir,
                               database_url=f"sqlite+aiosqlite:///{tmp_path / 'load.db'}",
                               cooldown_rate=1000, guild_ready_timeout=0.1, log_level="WARNING")  # type: ignore[call-arg]
        async with (
            FakeDiscord(token="test-token-e2e-secret", patch_discord=False) as fake,
            running_bot(settings, fake),
        ):
            users = [fake.add_member(f"user{i}") for i in range(n)]
            t0 = time.monotonic()
            inters = await asyncio.gather(*(
                fake.send_slash_command("recommend", {"title": TITLES[i % len(TITLES)]}, user=u)
                for i, u in enumerate(users)))
            await asyncio.gather(*(i.wait_response(60) for i in inters))
            await asyncio.gather(*(i.wait_final_message(120, where=lambda m: bool(m.get("embeds")))
                                   for i in inters))
            total = time.monotonic() - t0
            first = [i.responded_after for i in inters if i.responded_after is not None]
            final = [fake._message_changed_at[max(i.message_ids)] - i.dispatched_at for i in inters]
    print(f"{n} concurrent /recommend, all answered in {total:.2f} s wall time")
    for label, xs in (("time to first response", first), ("time to final embed", final)):
        print(f"{label:>24}: median {statistics.median(xs):.3f} s  p90 {pct(xs, 90):.3f} s  "
              f"p99 {pct(xs, 99):.3f} s  max {max(xs):.3f} s")
    beat = sum(1 for x in first if x < 3.0)
    print(f"{beat}/{n} acknowledged within Discord's 3 s deadline")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--model-dir", type=Path, default=None)
    args = parser.parse_args()
    asyncio.run(main(args.n, args.model_dir))
