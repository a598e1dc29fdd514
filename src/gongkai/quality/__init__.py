"""Quality stage: Great Expectations suites and cross-table checks, reported as Problems at source cells."""

from gongkai.quality.checks import check_quality, check_suite
from gongkai.suite import QualityError

__all__ = ["check_quality", "check_suite", "QualityError"]
