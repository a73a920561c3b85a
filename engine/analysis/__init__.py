"""Analysis passes: shapes, parameters, MACs, receptive fields, errors, warnings."""

from .analyzer import Analyzer, analyze
from .footprint import Footprint, exact_footprint
from .result import RF, AnalysisResult, Issue, NodeResult

__all__ = ["Analyzer", "analyze", "RF", "AnalysisResult", "Issue", "NodeResult", "Footprint",
           "exact_footprint"]
