"""Metrics (registered in mmaction's ``METRICS``)."""
from .finite_scores import FiniteScoreCheck, add_finite_score_check
from .video_fault_report import VideoFaultReport

__all__ = ['VideoFaultReport', 'FiniteScoreCheck', 'add_finite_score_check']
