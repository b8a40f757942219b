# ViFi-CLIP prompting, UCF-101 base-to-novel: test the prompts learned on
# the base classes (any of s1-s3) on the 50 novel classes. Test only:
#   python tools/test.py THIS_CONFIG work_dirs/<s1 run>/epoch_11.pth
# The class-dependent text inputs are rebuilt for the novel names.
_base_ = [
    'vifi-clip-prompt_vit-b16_k400-vifi_8xb4-32f_ucf101-base2novel-s1-rgb.py'
]

ann_file_val = 'data/ucf101/splits/base2novel/novel_val.txt'
label_file = 'data/labels/ucf_101_novel_labels.csv'  # 50 classes

model = dict(
    cls_head=dict(class_names=label_file),
    data_preprocessor=dict(blending=None))  # training-only augmentation
val_dataloader = dict(
    dataset=dict(ann_file=ann_file_val, class_names=label_file))
test_dataloader = val_dataloader
