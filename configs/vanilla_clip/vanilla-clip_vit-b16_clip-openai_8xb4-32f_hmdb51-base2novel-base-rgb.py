# Vanilla CLIP ViT-B/16 zero-shot on the base-to-novel base classes
# (official ZS_EVAL): prompt '{}', no tower trained. Weights: OpenAI CLIP
# converted with tools/convert_official_checkpoint.py (docs/protocols.md).
# As the novel-class config, on the base classes.
_base_ = [
    '../_base_/protocols/vanilla_clip.py', '../_base_/datasets/hmdb51_base.py'
]

# paths: _base_/datasets/hmdb51_base.py (base classes, their test split)
model = dict(cls_head=dict(class_names=_base_.label_file))
train_dataloader = val_dataloader = val_evaluator = None  # test only
