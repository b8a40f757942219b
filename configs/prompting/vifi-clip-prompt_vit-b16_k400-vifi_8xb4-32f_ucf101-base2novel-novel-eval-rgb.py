# ViFi-CLIP prompting, UCF-101 base-to-novel: test the prompts learned on
# the base classes (any of s1-s3) on the 50 novel classes. Test only:
#   python tools/test.py THIS_CONFIG work_dirs/<s1 run>/epoch_11.pth
# The class-dependent text inputs are rebuilt for the novel names.
_base_ = [
    '../_base_/protocols/prompting_novel_eval.py',
    '../_base_/datasets/ucf101_novel.py'
]

# paths: _base_/datasets/ucf101_novel.py (novel classes, their test split)
model = dict(cls_head=dict(class_names=_base_.label_file))
