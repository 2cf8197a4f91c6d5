"""Template bundles for the end-to-end tests, shared by the template and
environment helpers.

A bundle is a gzipped tar built here with tarfile. A server started with
--bundle-dir DIR (OPENPROTON_BUNDLE_DIR) reads s3://BUCKET/KEY as the file
DIR/BUCKET/KEY, so writing a bundle there stands in for uploading it to S3.
"""

import io
import os
import tarfile
import time

BUNDLE_DIR = os.environ.get("OPENPROTON_BUNDLE_DIR", "")

CFN_MANIFEST = """infrastructure:
  templates:
    - file: "cloudformation.yaml"
      rendering_engine: jinja
      template_language: cloudformation
"""


def tar_gz(files):
    """A gzipped tar of files: a dict {path: text or bytes}, written in path
    order, or (path, body) pairs, written in the given order."""
    items = sorted(files.items()) if isinstance(files, dict) else files
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, body in items:
            data = body.encode() if isinstance(body, str) else body
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = int(time.time())
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def write_dir(data, bucket, key):
    """Writes data where the --bundle-dir server reads s3://bucket/key and
    returns the source member of a create call."""
    if not BUNDLE_DIR:
        raise RuntimeError("OPENPROTON_BUNDLE_DIR is not set")
    path = os.path.join(BUNDLE_DIR, bucket, *key.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return {"s3": {"bucket": bucket, "key": key}}
