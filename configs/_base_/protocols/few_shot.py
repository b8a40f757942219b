# The official few-shot protocol: ViFi-CLIP fine-tuned on K videos per class,
# 32 frames, lr 2e-6, 50 epochs, effective batch 64.
_base_ = ['fine_tune.py', '../schedules/adamw_warmup-cosine_50e.py']
