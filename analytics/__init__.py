"""The functional core of mentormeet: events, the folds over them, and what they mean.

Nothing in this package does I/O or reads a clock; every function takes the timestamps
it needs, which is what lets a session's state and summary be rebuilt from its events.
"""
