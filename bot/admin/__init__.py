"""Admin: /model, /feedback-stats, and /retrain (training in a child process, then a hot swap)."""
