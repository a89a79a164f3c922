"""Campaigns: a segment or a trigger (a reorder due, a member at risk) reached with a message
and/or an offer, optionally as an experiment, each decision recorded once per occasion."""
