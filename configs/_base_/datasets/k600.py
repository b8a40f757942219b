# Kinetics-600 zero-shot splits (test only): where the videos are. Leaf
# configs set the annotation and label files at their top: the official
# ViFi-CLIP datasets_splits/k600_splits and labels/ZS_split{1,2,3}_K600.csv,
# 3 splits of 160 classes that are not in Kinetics-400 (docs/datasets.md).
_base_ = ['video_32f_224_loaders.py']

# official annotation paths are "train/<id>.mp4" (the K-600 train set)
data_root = 'data/kinetics600/videos'  # edit this

train_dataloader = dict(dataset=dict(data_prefix=dict(video=data_root)))
val_dataloader = dict(dataset=dict(data_prefix=dict(video=data_root)))
test_dataloader = val_dataloader
