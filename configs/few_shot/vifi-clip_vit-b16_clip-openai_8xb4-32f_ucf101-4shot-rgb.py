# ViFi-CLIP few-shot, UCF-101, K=4: as K=16 with the official
# train1_few_shot_4.txt (4 videos per class).
_base_ = ['vifi-clip_vit-b16_clip-openai_8xb4-32f_ucf101-16shot-rgb.py']

ann_file_train = 'data/ucf101/splits/train1_few_shot_4.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train))
