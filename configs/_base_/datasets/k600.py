# Kinetics-600 zero-shot splits (official ViFi-CLIP files): 3 splits of 160
# classes that are not in Kinetics-400. Test only.
_base_ = ['video_32f_224_loaders.py']

# ---- paths: edit these ----------------------------------------------------
# videos; official annotation paths are "train/<id>.mp4" (K-600 train set)
data_root = 'data/kinetics600/videos'
# official datasets_splits/k600_splits and labels/ZS_split{1,2,3}_K600.csv
ann_file_test = 'data/kinetics600/splits/ZS_split1_K600_eval.txt'
label_file = 'data/labels/ZS_split1_K600.csv'  # 160 classes
# ---------------------------------------------------------------------------

train_dataloader = dict(dataset=dict(data_prefix=dict(video=data_root)))
val_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_test,
        class_names=label_file,
        data_prefix=dict(video=data_root)))
test_dataloader = val_dataloader
