# ViFi-CLIP stage 2 (bridge and prompt), UCF-101 base-to-novel, split s1:
# learns deep vision and language prompts (16 tokens, depth 9) on the
# 51 base classes on top of a frozen stage-1 ViFi-CLIP (K-400) and
# validates on them. docs/bridge_and_prompt.md has the two-stage recipe.
_base_ = [
    '../_base_/default_runtime.py',
    '../_base_/models/vifi-clip-prompt_vit-b16.py',
    '../_base_/schedules/adamw_warmup-cosine_11e_prompt.py',
    '../_base_/datasets/video_32f_224_loaders.py'
]

# ---- paths: edit these ----------------------------------------------------
# stage-1 ViFi-CLIP checkpoint (tools/train.py on the K-400 config)
load_from = 'work_dirs/vifi-clip_vit-b16_clip-openai_8xb4-32f_k400-rgb/epoch_10.pth'
data_root = 'data/ucf101/videos'
# official ViFi-CLIP split and label files (datasets_splits/, labels/)
ann_file_train = 'data/ucf101/splits/base2novel/fs_base_s1_train.txt'
ann_file_val = 'data/ucf101/splits/base2novel/base_val.txt'
label_file = 'data/labels/ucf_101_base_labels.csv'  # 51 classes
# ---------------------------------------------------------------------------

model = dict(
    cls_head=dict(class_names=label_file),
    data_preprocessor=dict(
        blending=dict(
            type='RandomBatchAugment',
            augments=[
                dict(type='MixupBlending', alpha=0.8),
                dict(type='CutmixBlending', alpha=1.0)
            ])))
train_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_train,
        class_names=label_file,
        data_prefix=dict(video=data_root)))
val_dataloader = dict(
    dataset=dict(
        ann_file=ann_file_val,
        class_names=label_file,
        data_prefix=dict(video=data_root)))
test_dataloader = val_dataloader
