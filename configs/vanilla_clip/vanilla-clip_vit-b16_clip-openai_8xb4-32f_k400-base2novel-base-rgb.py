# Vanilla CLIP ViT-B/16 zero-shot on the base-to-novel base classes
# (official ZS_EVAL): prompt '{}', no tower trained. Weights: OpenAI CLIP
# converted with tools/convert_official_checkpoint.py (docs/protocols.md).
# As the novel-class config, on the base classes.
_base_ = [
    'vanilla-clip_vit-b16_clip-openai_8xb4-32f_k400-base2novel-novel-rgb.py'
]

ann_file_test = 'data/kinetics400/splits/base2novel/base_val.txt'
label_file = 'data/labels/kinetics_400_base_labels.csv'

model = dict(cls_head=dict(class_names=label_file))
test_dataloader = dict(
    dataset=dict(ann_file=ann_file_test, class_names=label_file))
