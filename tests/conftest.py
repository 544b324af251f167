"""Settings shared by the whole suite.

Property tests draw their examples from a seed derived from each test itself (``derandomize``), so every
run, here or on a fresh CI machine, tries the same examples: a test can never go red on a newly drawn
one. Each test keeps its own ``max_examples``. A failure prints the blob that reproduces it
(``@reproduce_failure``); pin a found case with ``@example``. ``HYPOTHESIS_PROFILE=explore`` draws new
examples at random, for looking for bugs on purpose.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("workbench", derandomize=True, print_blob=True, database=None)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "workbench"))
