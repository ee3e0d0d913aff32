"""A simulated community for measuring the feedback loop: MovieTweetings users ask the
bot for titles they liked, through the bot's own service layer and store, and vote on what they see.

Modules: `taste` (matrix-factorisation opinions), `members` (who asks, how they vote), `driver`
(requests and votes through `bot_handle`, a flat handle on `bot.services`), `cli` (`python -m lab.simulate`).
"""
