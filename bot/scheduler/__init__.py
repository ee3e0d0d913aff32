"""Retraining on a schedule (`RETRAIN_EVERY`), so that a server's vote loop runs without an admin."""
