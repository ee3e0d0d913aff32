"""Discord extensions, one per area; each is a thin adapter over bot.service."""
