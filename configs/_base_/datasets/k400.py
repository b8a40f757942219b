# Kinetics-400: where the videos are. Leaf configs set the annotation and
# label files at their top: the official ViFi-CLIP datasets_splits/k400_splits
# (base-to-novel: splits/base2novel/) and labels/ (docs/datasets.md).
_base_ = ['video_32f_224_loaders.py']

# official annotation paths are "train/<id>.mp4" and "val/<id>.mp4"
data_root = 'data/kinetics400/videos'  # edit this

train_dataloader = dict(dataset=dict(data_prefix=dict(video=data_root)))
val_dataloader = dict(dataset=dict(data_prefix=dict(video=data_root)))
test_dataloader = val_dataloader
