# The official zero-shot training recipe: ViFi-CLIP fine-tuned on
# Kinetics-400 with 32 frames, lr 8e-6, 10 epochs. The leaf
# (configs/vifi-clip_vit-b16_clip-openai_8xb4-32f_k400-rgb.py) sets the
# batch and the accumulation steps.
_base_ = ['fine_tune.py', '../schedules/adamw_warmup-cosine_10e.py']
