"""Scheduled jobs (EventBridge, not HTTP): the expiry index, job cursors and the job wrapper."""
