# ViFi-CLIP base-to-novel, HMDB-51, seed s2: as s1 with the official
# fs_base_s2_train.txt (another draw of 16 videos per base class).
_base_ = ['vifi-clip_vit-b16_clip-openai_8xb4-32f_hmdb51-base2novel-s1-rgb.py']

ann_file_train = 'data/hmdb51/splits/base2novel/fs_base_s2_train.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train))
