# ViFi-CLIP stage 2, "bridge and prompt" (docs/bridge_and_prompt.md): deep
# vision and language prompts learned on a frozen stage-1 ViFi-CLIP, with the
# official Mixup/CutMix. prompting_base2novel.py and prompting_few_shot.py
# add their schedules and prompt sizes; a leaf adds its dataset base, its
# paths and what differs.
_base_ = ['../default_runtime.py', '../models/vifi-clip-prompt_vit-b16.py']

# ---- paths: edit these ----------------------------------------------------
# the stage-1 ViFi-CLIP checkpoint every prompting config starts from:
# tools/train.py on configs/vifi_k400.py (or the long-named K-400 config)
load_from = ('work_dirs/vifi-clip_vit-b16_clip-openai_8xb4-32f_k400-rgb/'
             'epoch_10.pth')
# ---------------------------------------------------------------------------

model = dict(
    data_preprocessor=dict(
        # as in fine_tune.py: mixup 0.8 / cutmix 1.0, probability 0.5 each
        blending=dict(
            type='RandomBatchAugment',
            augments=[
                dict(type='MixupBlending', alpha=0.8),
                dict(type='CutmixBlending', alpha=1.0)
            ])))
