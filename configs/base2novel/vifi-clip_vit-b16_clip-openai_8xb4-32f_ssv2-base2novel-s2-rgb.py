# ViFi-CLIP base-to-novel, SSv2, seed s2: as s1 with the official
# fs_base_s2_train.txt (another draw of 16 videos per base class).
_base_ = ['vifi-clip_vit-b16_clip-openai_8xb4-32f_ssv2-base2novel-s1-rgb.py']

ann_file_train = 'data/ssv2/splits/base2novel/fs_base_s2_train.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train))
