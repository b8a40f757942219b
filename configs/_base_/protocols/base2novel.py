# The official base-to-novel protocol (training on the base classes):
# ViFi-CLIP fine-tuned on 16 videos per base class, 32 frames, lr 2e-6, 11
# epochs, effective batch 64. The novel classes are tested with
# zero_shot_eval.py.
_base_ = ['fine_tune.py', '../schedules/adamw_warmup-cosine_11e.py']
