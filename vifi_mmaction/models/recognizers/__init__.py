from .vifi_recognizer import TRAIN_TOWERS, ViFiRecognizer

__all__ = ['ViFiRecognizer', 'TRAIN_TOWERS']
