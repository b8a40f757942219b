# ViFi-CLIP stage 2 (bridge and prompt), UCF-101 base-to-novel, split s1:
# learns deep vision and language prompts (16 tokens, depth 9) on the
# 51 base classes on top of a frozen stage-1 ViFi-CLIP (K-400) and
# validates on them. docs/bridge_and_prompt.md has the two-stage recipe.
_base_ = [
    '../_base_/protocols/prompting_base2novel.py',
    '../_base_/datasets/ucf101_base_s1.py'
]

# paths: _base_/datasets/ucf101_base.py (base classes), ucf101_base_s1.py
# (training split), load_from in _base_/protocols/prompting.py (stage 1)
model = dict(cls_head=dict(class_names=_base_.label_file))
