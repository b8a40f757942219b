"""Metrics (registered in mmaction's ``METRICS``)."""
from .video_fault_report import VideoFaultReport

__all__ = ['VideoFaultReport']
