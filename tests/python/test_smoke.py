def test_roundtrip(s3, bucket):
    s3.pipe_file(f"{bucket}/a.txt", b"hello")
    assert s3.cat_file(f"{bucket}/a.txt") == b"hello"
    print(s3.ls(bucket))
