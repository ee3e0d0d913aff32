"""`python -m feedback upgrade [REV] | downgrade REV | current | heads` - schema maintenance.

Acts on DATABASE_URL, else DATA_DIR/reelmate.db (environment and `.env`), like the bot's start-up upgrade.
"""

from feedback.migrate import main

raise SystemExit(main())
