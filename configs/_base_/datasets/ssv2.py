# Something-Something v2: where the videos are. Leaf configs set the
# annotation and label files at their top: the official ViFi-CLIP
# datasets_splits/ssv2_splits (base-to-novel: splits/base2novel/) and
# labels/ (docs/datasets.md).
_base_ = ['video_32f_224_loaders.py']

data_root = 'data/ssv2/videos'  # <id>.webm, all in one folder; edit this

train_dataloader = dict(dataset=dict(data_prefix=dict(video=data_root)))
val_dataloader = dict(dataset=dict(data_prefix=dict(video=data_root)))
test_dataloader = val_dataloader
