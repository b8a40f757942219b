# ViFi-CLIP prompting, HMDB-51 base-to-novel, split s2: as s1 with the
# s2 training split.
_base_ = [
    'vifi-clip-prompt_vit-b16_k400-vifi_8xb4-32f_hmdb51-base2novel-s1-rgb.py'
]

ann_file_train = 'data/hmdb51/splits/base2novel/fs_base_s2_train.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train))
