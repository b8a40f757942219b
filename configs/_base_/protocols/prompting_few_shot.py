# The official few-shot prompting protocol: 10 prompt tokens, depth 12 on
# both sides, lr 8e-3, 50 epochs.
_base_ = ['prompting.py', '../schedules/adamw_warmup-cosine_50e_prompt.py']

model = dict(
    backbone=dict(n_ctx=10, depth=12), cls_head=dict(n_ctx=10, depth=12))
