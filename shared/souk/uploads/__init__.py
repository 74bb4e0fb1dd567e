"""Uploads: presigned S3 POSTs, and claiming them for avatars, product images and store documents."""
