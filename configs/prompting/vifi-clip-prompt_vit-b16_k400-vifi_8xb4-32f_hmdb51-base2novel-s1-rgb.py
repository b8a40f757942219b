# ViFi-CLIP stage 2 (bridge and prompt), HMDB-51 base-to-novel, split s1:
# learns deep vision and language prompts (16 tokens, depth 9) on the
# 26 base classes on top of a frozen stage-1 ViFi-CLIP (K-400) and
# validates on them. docs/bridge_and_prompt.md has the two-stage recipe.
_base_ = [
    '../_base_/protocols/prompting_base2novel.py',
    '../_base_/datasets/hmdb51_base_s1.py'
]

# paths: _base_/datasets/hmdb51_base.py (base classes), hmdb51_base_s1.py
# (training split), load_from in _base_/protocols/prompting.py (stage 1)
model = dict(cls_head=dict(class_names=_base_.label_file))
