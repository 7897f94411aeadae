"""Running the suite on one machine: the embedded broker and service processes.

Used by the local launcher (`make run`) and by the tests; production runs each service
from its container instead.
"""
