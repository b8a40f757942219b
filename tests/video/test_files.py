"""vifi_mmaction.video.files: videos by extension, any case, sorted, hidden
files skipped."""
from vifi_mmaction.video import VIDEO_EXTENSIONS, list_videos


def test_lists_videos_by_extension(tmp_path):
    for rel in ('b.mp4', 'a.MOV', 'sub/c.avi', 'notes.txt', '.hidden.mp4',
                'sub/d.jpg'):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'')
    root = str(tmp_path)
    assert list_videos(root) == [
        f'{root}/a.MOV', f'{root}/b.mp4', f'{root}/sub/c.avi'
    ]
    assert list_videos(
        root, recursive=False) == [f'{root}/a.MOV', f'{root}/b.mp4']
    assert all(e.startswith('.') and e == e.lower() for e in VIDEO_EXTENSIONS)
