# Zero-shot test of a Kinetics-400 ViFi-CLIP (or CLIP image-/text-FT)
# checkpoint on UCF-101 split 3 (101 classes), 32 frames, one view:
#   python tools/test.py THIS_CONFIG work_dirs/<K-400 run>/epoch_10.pth \
#       --out-metrics work_dirs/zero_shot/ucf101-split3.json
# then `python tools/report.py splits` over the three splits.
_base_ = ['vifi-clip_vit-b16_k400-vifi_8xb4-32f_ucf101-split1-rgb.py']

ann_file_test = 'data/ucf101/splits/val3.txt'
test_dataloader = dict(dataset=dict(ann_file=ann_file_test))
