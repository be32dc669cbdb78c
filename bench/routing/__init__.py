"""The routing suite of `make bench`: the incremental router and the simulator, pure Python, no database.

``engine`` builds the populations (agents from team templates, waiting contacts, a peak hour)
and measures them; ``python -m bench.routing.engine`` runs it alone.
"""
