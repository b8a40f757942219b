# ViFi-CLIP stage 2 (bridge and prompt), HMDB-51 few-shot, K=2 clips per
# class: learns deep vision and language prompts on all 51 classes on
# top of a frozen stage-1 ViFi-CLIP (K-400). Official few-shot prompting
# settings: 10 tokens, depth 12 on both sides, lr 8e-3, 50 epochs.
_base_ = [
    '../_base_/protocols/prompting_few_shot.py', '../_base_/datasets/hmdb51.py'
]

# ---- paths: edit these (the rest: _base_/datasets/hmdb51.py and, for the ----
# stage-1 checkpoint, load_from in _base_/protocols/prompting.py)
ann_file_train = 'data/hmdb51/splits/train1_few_shot_2.txt'
# ---------------------------------------------------------------------------

model = dict(cls_head=dict(class_names=_base_.label_file))
train_dataloader = dict(dataset=dict(ann_file=ann_file_train))
