# Vanilla CLIP ViT-B/16 zero-shot on the base-to-novel novel classes
# (official ZS_EVAL): prompt '{}', no tower trained. Weights: OpenAI CLIP
# converted with tools/convert_official_checkpoint.py (docs/protocols.md).
_base_ = [
    '../base2novel/vifi-clip_vit-b16_clip-openai_8xb4-32f_ucf101-base2novel-novel-eval-rgb.py'  # noqa: E501
]

model = dict(train_towers='none', cls_head=dict(template='{}'))
