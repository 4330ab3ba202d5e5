"""evidencekb: clinical evidence summaries as a knowledge base of structured claims."""

__version__ = "0.1.0"
