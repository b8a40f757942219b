# The official fully-supervised protocol: ViFi-CLIP fine-tuned on a whole
# training set, 30 epochs (lr 8e-6, 8 accumulation steps; leaves change
# them). Leaves pair it with _base_/datasets/k400_16f_4x3.py.
_base_ = ['fine_tune.py', '../schedules/adamw_warmup-cosine_30e.py']
