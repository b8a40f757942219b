# CLIP image-FT: the zero-shot K-400 recipe (32 frames, lr 8e-6, 10 epochs,
# effective batch 256) fine-tuning only the CLIP image encoder (official
# USE: "image"). Evaluate with the zero_shot/*-split*-rgb.py configs.
_base_ = ['../vifi-clip_vit-b16_clip-openai_8xb4-32f_k400-rgb.py']

model = dict(train_towers='image')
