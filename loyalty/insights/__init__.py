"""Insights: behavioural scores, segments and predictions from members who consent to profiling."""
