"""A local web app for zero-shot classification, timelines and search of
your own videos (``tools/webui.py``, docs/webui.md).

:mod:`.service` holds what the app does (no web framework); :mod:`.app`
puts a Gradio page and HTTP API on it and needs the optional extra
``vifi_mmaction[webui]``. Neither ``import vifi_mmaction`` nor any other
module of the package imports this one.
"""
from .service import Limits, RequestError, ViFiService, inside, upload_folder

__all__ = ['Limits', 'RequestError', 'ViFiService', 'inside', 'upload_folder']
