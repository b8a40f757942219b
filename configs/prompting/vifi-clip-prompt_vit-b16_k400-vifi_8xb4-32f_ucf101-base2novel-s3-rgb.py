# ViFi-CLIP prompting, UCF-101 base-to-novel, split s3: as s1 with the
# s3 training split.
_base_ = [
    'vifi-clip-prompt_vit-b16_k400-vifi_8xb4-32f_ucf101-base2novel-s1-rgb.py'
]

ann_file_train = 'data/ucf101/splits/base2novel/fs_base_s3_train.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train))
