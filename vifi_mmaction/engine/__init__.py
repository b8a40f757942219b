from .amp import ViFiAmpOptimWrapper, has_amp_device, resolve_amp_dtype
from .checkpoint_hook import (AtomicLocalBackend, NonFiniteWeightsError,
                              NoResumableCheckpointError, ViFiCheckpointHook,
                              atomic_write_bytes, check_checkpoint,
                              find_resumable_checkpoint, resolve_auto_resume)
from .config_checks import check_config, load_config
from .data_check_hook import (TooManyVideoFaultsError,
                              UnreadableTestVideosError, ViFiDataCheckHook,
                              check_deferred_augment)
from .loops import (ViFiEpochBasedTrainLoop, official_steps_per_epoch,
                    official_val_epochs)
from .numerics import NonFiniteLossError, ViFiNonFiniteLossHook
from .resume import ViFiExactResumeHook
from .schedulers import (ViFiWarmupCosineLR, official_update_index,
                         warmup_cosine_value)
from .sharding import (ViFiFSDPStrategy, promote_scalar_parameters,
                       vifi_clip_block_wrap_policy)
from .strict_load import ViFiStrictLoadHook

__all__ = [
    'ViFiAmpOptimWrapper', 'has_amp_device', 'resolve_amp_dtype',
    'ViFiWarmupCosineLR', 'warmup_cosine_value', 'official_update_index',
    'ViFiEpochBasedTrainLoop', 'official_steps_per_epoch',
    'official_val_epochs', 'ViFiDataCheckHook', 'check_deferred_augment',
    'TooManyVideoFaultsError', 'UnreadableTestVideosError',
    'ViFiCheckpointHook', 'AtomicLocalBackend', 'atomic_write_bytes',
    'check_checkpoint', 'find_resumable_checkpoint', 'resolve_auto_resume',
    'NoResumableCheckpointError', 'NonFiniteWeightsError',
    'ViFiNonFiniteLossHook', 'NonFiniteLossError', 'ViFiExactResumeHook',
    'ViFiFSDPStrategy', 'promote_scalar_parameters',
    'vifi_clip_block_wrap_policy', 'ViFiStrictLoadHook', 'load_config',
    'check_config'
]
