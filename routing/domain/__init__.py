"""The routing decision procedure as plain data in, plain data out: no ORM, no clock, no I/O.

The same state always gives the same decisions, which the simulator and the property tests
rely on (docs/routing.md).
"""
