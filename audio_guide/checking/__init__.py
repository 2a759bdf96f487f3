"""Checking: verify a built edition as a careful publisher would, with
instruments of its own (and, with --listen, a speech recognizer)."""
