"""Answering: the prompt from retrieved passages, the answer, its citations and declines."""
