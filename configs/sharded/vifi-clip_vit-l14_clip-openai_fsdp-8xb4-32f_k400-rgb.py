# ViFi-CLIP, ViT-L/14 from OpenAI CLIP, fine-tuned on Kinetics-400 with 32
# frames, sharded with FSDP through mmengine's FlexibleRunner
# (docs/sharded_training.md). Same recipe and data as the ViT-B/16 config it
# inherits: 8 GPUs x 4 clips x 8 accumulation steps = effective batch 256,
# AdamW lr 8e-6, betas (0.9, 0.98), weight decay 1e-3, 10 epochs with 5
# warm-up.
#   tools/dist_train.sh \
#     configs/sharded/vifi-clip_vit-l14_clip-openai_fsdp-8xb4-32f_k400-rgb.py 8
_base_ = ['../vifi-clip_vit-b16_clip-openai_8xb4-32f_k400-rgb.py']

# ---- paths: edit these (data: the ViT-B/16 config this one inherits) ------
clip_weights = 'data/clip/ViT-L-14.pt'  # OpenAI JIT archive or state dict
# ---------------------------------------------------------------------------

model = dict(
    # grad_checkpointing: every transformer block of both towers recomputes
    # its activations in backward (the memory saver; one more forward pass)
    clip=dict(
        arch='ViT-L/14', pretrained=clip_weights, grad_checkpointing=True))

runner_type = 'FlexibleRunner'
strategy = dict(
    # mmengine's FSDPStrategy plus vifi_mmaction/engine/sharding.py's fixes
    # (CPU jobs, the scalar logit_scale, resume under torch >= 2.1, --amp)
    type='ViFiFSDPStrategy',
    # one checkpoint file (rank 0) with the unsharded model layout: loads
    # into a plain ViFiRecognizer (tools/test.py, init_recognizer, load_from);
    # its optimizer state is FSDP's full one, re-sharded when this config
    # resumes it with any number of processes
    state_dict_cfg='full',
    model_wrapper=dict(
        type='MMFullyShardedDataParallel',
        sharding_strategy='FULL_SHARD',  # parameters, gradients, AdamW state
        # one FSDP unit per CLIP transformer block (24 image + 12 text),
        # everything else in the root unit
        auto_wrap_policy='vifi_clip_block_wrap_policy',
        # keep the original parameters: the frozen token embedding shares a
        # unit with trainable ones, and optimizer param groups see names
        use_orig_params=True,
        # every rank starts from rank 0's weights, as DDP does
        sync_module_states=True))
