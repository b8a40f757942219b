# Short entry point: ViFi-CLIP ViT-B/16 on Kinetics-400 (32 frames, official
# recipe). `tools/dist_train.sh configs/vifi_k400.py 8`
_base_ = ['vifi-clip_vit-b16_clip-openai_8xb4-32f_k400-rgb.py']

# the long config's work dir, which the prompting configs' load_from names
work_dir = 'work_dirs/vifi-clip_vit-b16_clip-openai_8xb4-32f_k400-rgb'
