# ViFi-CLIP prompting, HMDB-51 few-shot, K=4: as K=2 with the 4-shot
# training split.
_base_ = ['vifi-clip-prompt_vit-b16_k400-vifi_8xb4-32f_hmdb51-2shot-rgb.py']

ann_file_train = 'data/hmdb51/splits/train1_few_shot_4.txt'
train_dataloader = dict(dataset=dict(ann_file=ann_file_train))
