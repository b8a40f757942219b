# ViFi-CLIP prompting, UCF-101 few-shot, K=16: as K=2 with the 16-shot
# training split.
_base_ = ['vifi-clip-prompt_vit-b16_k400-vifi_8xb4-32f_ucf101-2shot-rgb.py']

ann_file_train = 'data/ucf101/splits/train1_few_shot_16.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train))
