"""Uploads' API models and the converter from :class:`~souk.uploads.models.Upload`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from souk.schema import CamelModel
from souk.uploads.models import Upload

Purpose = Literal["avatar", "product_image", "store_document", "attachment"]


class CreateUploadRequest(CamelModel):
    filename: str = Field(min_length=1, max_length=255, description="Display only; never part of the object key.")
    content_type: str = Field(min_length=3, max_length=100, examples=["image/jpeg"])
    size: int = Field(ge=1, description="Bytes, as the client will send them.")
    purpose: Purpose

    @field_validator("filename")
    @classmethod
    def _printable(cls, value: str) -> str:
        cleaned = value.strip()
        if not cleaned or any(ord(ch) < 32 or ord(ch) == 127 for ch in cleaned):
            raise ValueError("must be a printable file name")
        return cleaned

    @field_validator("content_type")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


class PresignedUpload(CamelModel):
    upload_id: str
    url: str = Field(description="POST the form here: every field below, then the file as `file`, last.")
    fields: dict[str, str]
    expires_in: int = Field(description="Seconds the form stays valid.")
    max_size: int = Field(description="Largest accepted file for this purpose, in bytes.")


class UploadOut(CamelModel):
    id: str
    purpose: Purpose
    filename: str
    content_type: str
    size: int
    status: Literal["pending", "ready", "deleted"]
    created_at: datetime


class DeletedUpload(CamelModel):
    id: str
    deleted: bool


def upload_out(upload: Upload) -> UploadOut:
    return UploadOut(
        id=upload.upload_id, purpose=upload.purpose, filename=upload.filename,  # type: ignore[arg-type]
        content_type=upload.content_type, size=int(upload.size), status=upload.status,  # type: ignore[arg-type]
        created_at=upload.created_at,
    )  # fmt: skip
