"""Slow, obvious twins of every kernel, for the tests only (never used in production paths).

Each twin has the same name and signature as the operator it checks and is written in plain
numpy/pandas so that it is evidently correct.
"""

from expressions.reference.cross_section import *  # noqa: F401,F403
from expressions.reference.elementwise import *  # noqa: F401,F403
from expressions.reference.timeseries import *  # noqa: F401,F403
