# Vanilla CLIP ViT-B/16 zero-shot (no video training; official ZS_EVAL):
# prompt '{}' (the bare class name), no tower trained. Weights: OpenAI CLIP
# converted once with tools/convert_official_checkpoint.py (docs/protocols.md):
#   python tools/test.py THIS_CONFIG work_dirs/clip_vit-b16/weights.pth
_base_ = [
    '../zero_shot/vifi-clip_vit-b16_k400-vifi_8xb4-32f_ucf101-split1-rgb.py'
]

model = dict(train_towers='none', cls_head=dict(template='{}'))
