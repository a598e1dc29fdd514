"""Quality stage: Great Expectations suites and cross-table checks, reported as Problems at source cells."""

from gongkai.quality.checks import check_quality
from gongkai.quality.engine import QualityError
from gongkai.quality.suite import load_suite

__all__ = ["check_quality", "QualityError", "load_suite"]
