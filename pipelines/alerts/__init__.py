"""Keyword alerts: query language, matching, the outbox and its delivery channels.

``enqueue(conn, assignment)`` is the storage step's entry point: it matches a
new (or newly canonical) story against the subscriptions and queues one
outbox row per matching subscription, in the caller's transaction.
"""
