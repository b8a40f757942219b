# The official base-to-novel prompting protocol: 16 prompt tokens, depth 9
# (the prompted model's defaults) on both sides, lr 4e-2, 11 epochs.
_base_ = ['prompting.py', '../schedules/adamw_warmup-cosine_11e_prompt.py']
