# CLIP image-FT fully supervised on Kinetics-400: fine-tunes only the CLIP
# image encoder (official USE: "image"), 16 frames, lr 8e-6, 30 epochs, 8 GPUs
# x 4 clips x 8 accumulation steps = effective batch 256; 4 x 3 view test.
_base_ = ['vifi-clip_vit-b16_clip-openai_8xb4-16f_k400-rgb.py']

model = dict(train_towers='image')
optim_wrapper = dict(optimizer=dict(lr=8e-6), accumulative_counts=8)
