"""Feedback: surveys of short questions, members' responses, and their results."""
