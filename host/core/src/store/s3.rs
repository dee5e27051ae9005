//! Amazon S3 (or any S3-compatible store) as a destination.
//!
//! Credentials, region and endpoint come from the standard AWS chain
//! (environment, profile, web identity, container and instance roles);
//! `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` select a custom endpoint, which
//! is then addressed path-style so MinIO and friends work. Objects up to one
//! part are a single `PutObject`; larger ones are multipart uploads, each part
//! carrying a SHA-256 checksum the server verifies. Unfinished multipart
//! uploads are aborted. Copies stay inside the bucket (`CopyObject`, and
//! `UploadPartCopy` above 5 GiB).

use super::backend::{Backend, ObjectWriter};
use super::{ObjectMeta, ObjectReader, StoreError};
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier,
};
use aws_sdk_s3::Client;
use bytes::{Bytes, BytesMut};

/// Size of each multipart part (S3's minimum is 5 MiB).
const PART_SIZE: usize = 8 * 1024 * 1024;

/// An S3 bucket and key prefix.
pub struct S3Store {
    client: Client,
    bucket: String,
    prefix: String,
}

struct S3Writer {
    client: Client,
    bucket: String,
    key: String,
    buf: BytesMut,
    upload_id: Option<String>,
    parts: Vec<CompletedPart>,
    done: bool,
}

fn sdk_err<E: std::error::Error>(what: &str, e: E) -> StoreError {
    StoreError::Backend(format!("S3 {what}: {}", DisplayErrorContext(&e)))
}

/// Not implemented (501) or not permitted (403) is [`StoreError::Permanent`]:
/// retrying cannot help. Anything else may pass.
fn permanent_or<E>(what: &str, e: SdkError<E, HttpResponse>) -> StoreError
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
{
    let status = e.raw_response().map(|r| r.status().as_u16());
    if matches!(status, Some(403 | 501)) || e.code() == Some("NotImplemented") {
        let why = if status == Some(403) {
            "not permitted to this identity"
        } else {
            "not supported by this server"
        };
        let code = e.code().unwrap_or("no error code");
        return StoreError::Permanent(format!("S3 {what} is {why} ({code})"));
    }
    sdk_err(what, e)
}

impl S3Store {
    /// Connect with the standard AWS chain and check that the bucket is reachable.
    pub async fn connect(bucket: &str, prefix: &str) -> Result<Self, StoreError> {
        let custom_endpoint = ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if custom_endpoint
            && std::env::var_os("AWS_REGION").is_none()
            && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            loader = loader.region(aws_config::Region::new("us-east-1"));
        }
        let shared = loader.load().await;
        if shared.credentials_provider().is_none() {
            return Err(StoreError::Backend("S3: no AWS credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run with a role)".into()));
        }
        let conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(custom_endpoint)
            .build();
        let client = Client::from_conf(conf);
        match client.head_bucket().bucket(bucket).send().await {
            Ok(_) => {}
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                let msg = match status {
                    Some(404) => format!("S3 bucket {bucket:?} does not exist"),
                    Some(403) => {
                        format!("S3 bucket {bucket:?}: access denied (check credentials and permissions)")
                    }
                    _ => format!(
                        "S3 bucket {bucket:?} is not reachable: {}",
                        DisplayErrorContext(&e)
                    ),
                };
                return Err(StoreError::Backend(msg));
            }
        }
        Ok(Self {
            client,
            bucket: bucket.into(),
            prefix: prefix.into(),
        })
    }

    fn full_key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }

    fn strip<'a>(&self, full: &'a str) -> &'a str {
        if self.prefix.is_empty() {
            full
        } else {
            full.strip_prefix(&self.prefix)
                .and_then(|k| k.strip_prefix('/'))
                .unwrap_or(full)
        }
    }
}

#[async_trait::async_trait]
impl Backend for S3Store {
    async fn create(&self, key: &str) -> Result<Box<dyn ObjectWriter>, StoreError> {
        Ok(Box::new(S3Writer {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: self.full_key(key),
            buf: BytesMut::new(),
            upload_id: None,
            parts: Vec::new(),
            done: false,
        }))
    }

    async fn read(&self, key: &str) -> Result<ObjectReader, StoreError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .send()
            .await;
        match out {
            Ok(o) => Ok(Box::new(o.body.into_async_read())),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                Err(StoreError::NotFound(key.into()))
            }
            Err(e) => Err(sdk_err("GetObject", e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(self.full_key(prefix))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_err("ListObjectsV2", e))?;
            for obj in page.contents() {
                if let Some(k) = obj.key() {
                    out.push(ObjectMeta {
                        key: self.strip(k).to_string(),
                        size: obj.size().unwrap_or(0).max(0) as u64,
                    });
                }
            }
        }
        Ok(out)
    }

    async fn list_folders(&self) -> Result<Vec<String>, StoreError> {
        let base = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&base)
            .delimiter("/")
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_err("ListObjectsV2", e))?;
            for p in page.common_prefixes() {
                if let Some(p) = p.prefix() {
                    out.push(p[base.len()..].trim_end_matches('/').to_string());
                }
            }
        }
        Ok(out)
    }

    async fn create_new(&self, key: &str, data: Bytes) -> Result<bool, StoreError> {
        let out = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .if_none_match("*")
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .body(ByteStream::from(data))
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            // 412: something is there already; 409: a concurrent conditional write won.
            Err(e) if matches!(e.raw_response().map(|r| r.status().as_u16()), Some(412 | 409)) => Ok(false),
            Err(e) => Err(sdk_err("PutObject (If-None-Match)", e)),
        }
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, StoreError> {
        let out = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .send()
            .await;
        match out {
            Ok(o) => Ok(Some(ObjectMeta {
                key: key.to_string(),
                size: o.content_length().unwrap_or(0).max(0) as u64,
            })),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(None),
            Err(e) => Err(sdk_err("HeadObject", e)),
        }
    }

    async fn copy(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let size = match self.head(from).await? {
            Some(meta) => meta.size,
            None => return Err(StoreError::NotFound(from.into())),
        };
        let source = format!("{}/{}", self.bucket, encode_key(&self.full_key(from)));
        if size <= MAX_COPY_OBJECT {
            self.client
                .copy_object()
                .bucket(&self.bucket)
                .key(self.full_key(to))
                .copy_source(source)
                .send()
                .await
                .map_err(|e| sdk_err("CopyObject", e))?;
            return Ok(());
        }
        self.copy_multipart(&source, to, size).await
    }

    async fn leftovers(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .open_uploads(prefix)
            .await?
            .into_iter()
            .map(|(key, _)| key)
            .collect())
    }

    async fn discard_leftovers(&self, prefix: &str) -> Result<u64, StoreError> {
        let open = self.open_uploads(prefix).await?;
        for (key, id) in &open {
            self.client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(self.full_key(key))
                .upload_id(id)
                .send()
                .await
                .map_err(|e| permanent_or("AbortMultipartUpload", e))?;
        }
        Ok(open.len() as u64)
    }

    async fn delete(&self, keys: &[String]) -> Result<(), StoreError> {
        for batch in keys.chunks(1000) {
            let objects = batch
                .iter()
                .map(|k| ObjectIdentifier::builder().key(self.full_key(k)).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| StoreError::Backend(format!("S3 DeleteObjects: {e}")))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| StoreError::Backend(format!("S3 DeleteObjects: {e}")))?;
            let out = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| sdk_err("DeleteObjects", e))?;
            if let Some(err) = out.errors().first() {
                return Err(StoreError::Backend(format!(
                    "S3 DeleteObjects: {} of {} keys not deleted, first {:?}: {}",
                    out.errors().len(),
                    batch.len(),
                    err.key().map(|k| self.strip(k)).unwrap_or("?"),
                    err.message().unwrap_or("no reason given")
                )));
            }
        }
        Ok(())
    }
}

/// Largest object `CopyObject` copies in one call (S3's limit).
const MAX_COPY_OBJECT: u64 = 5 << 30;
/// Range copied by each `UploadPartCopy` above that.
const COPY_PART: u64 = 1 << 30;

impl S3Store {
    /// Multipart uploads begun under `prefix` and never completed nor aborted:
    /// (destination-relative key, upload id).
    async fn open_uploads(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::new();
        let (mut key_marker, mut id_marker) = (None::<String>, None::<String>);
        loop {
            let page = self
                .client
                .list_multipart_uploads()
                .bucket(&self.bucket)
                .prefix(self.full_key(prefix))
                .set_key_marker(key_marker.clone())
                .set_upload_id_marker(id_marker.clone())
                .send()
                .await
                .map_err(|e| permanent_or("ListMultipartUploads", e))?;
            for u in page.uploads() {
                if let (Some(k), Some(id)) = (u.key(), u.upload_id()) {
                    out.push((self.strip(k).to_string(), id.to_string()));
                }
            }
            if page.is_truncated() != Some(true) {
                return Ok(out);
            }
            key_marker = page.next_key_marker().map(str::to_string);
            id_marker = page.next_upload_id_marker().map(str::to_string);
            if key_marker.is_none() && id_marker.is_none() {
                return Ok(out);
            }
        }
    }

    /// `UploadPartCopy` in 1 GiB ranges; aborted on any failure.
    async fn copy_multipart(&self, source: &str, to: &str, size: u64) -> Result<(), StoreError> {
        let key = self.full_key(to);
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| sdk_err("CreateMultipartUpload", e))?;
        let mut writer = S3Writer {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: key.clone(),
            buf: BytesMut::new(),
            upload_id: created.upload_id,
            parts: Vec::new(),
            done: false,
        };
        let upload_id = writer.upload_id.clone().unwrap_or_default();
        let mut start = 0u64;
        while start < size {
            let end = (start + COPY_PART).min(size) - 1;
            let number = writer.parts.len() as i32 + 1;
            let out = self
                .client
                .upload_part_copy()
                .bucket(&self.bucket)
                .key(&key)
                .upload_id(&upload_id)
                .part_number(number)
                .copy_source(source)
                .copy_source_range(format!("bytes={start}-{end}"))
                .send()
                .await;
            let out = match out {
                Ok(o) => o,
                Err(e) => {
                    writer.abort_upload().await;
                    writer.done = true;
                    return Err(sdk_err("UploadPartCopy", e));
                }
            };
            let etag = out.copy_part_result().and_then(|r| r.e_tag()).map(str::to_string);
            writer.parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .set_e_tag(etag)
                    .build(),
            );
            start = end + 1;
        }
        Box::new(writer).commit().await
    }
}

/// A key as `x-amz-copy-source` wants it: percent-encoded but for `/`.
fn encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[async_trait::async_trait]
impl ObjectWriter for S3Writer {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        self.buf.extend_from_slice(&chunk);
        while self.buf.len() >= PART_SIZE {
            let part = self.buf.split_to(PART_SIZE).freeze();
            self.upload_part(part).await?;
        }
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        let result = self.finish().await;
        if result.is_err() {
            self.abort_upload().await;
        }
        self.done = true;
        result
    }

    async fn abort(mut self: Box<Self>) {
        self.abort_upload().await;
        self.done = true;
    }
}

impl S3Writer {
    async fn upload_part(&mut self, body: Bytes) -> Result<(), StoreError> {
        if self.upload_id.is_none() {
            let created = self
                .client
                .create_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .checksum_algorithm(ChecksumAlgorithm::Sha256)
                .send()
                .await
                .map_err(|e| sdk_err("CreateMultipartUpload", e))?;
            self.upload_id = created.upload_id;
        }
        let upload_id = self.upload_id.clone().unwrap_or_default();
        let number = self.parts.len() as i32 + 1;
        let out = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(upload_id)
            .part_number(number)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| sdk_err("UploadPart", e))?;
        self.parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(out.e_tag)
                .set_checksum_sha256(out.checksum_sha256)
                .build(),
        );
        Ok(())
    }

    async fn finish(&mut self) -> Result<(), StoreError> {
        if self.upload_id.is_none() {
            let body = std::mem::take(&mut self.buf).freeze();
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .checksum_algorithm(ChecksumAlgorithm::Sha256)
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(|e| sdk_err("PutObject", e))?;
            return Ok(());
        }
        if !self.buf.is_empty() {
            let last = std::mem::take(&mut self.buf).freeze();
            self.upload_part(last).await?;
        }
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(self.upload_id.clone().unwrap_or_default())
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(self.parts.clone()))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                let code = e.code().unwrap_or_default().to_string();
                sdk_err(&format!("CompleteMultipartUpload {code}"), e)
            })?;
        Ok(())
    }

    /// Abort the multipart upload, retrying for a while: the store may be
    /// failing right now, and an upload left open costs storage until a
    /// lifecycle rule removes it.
    async fn abort_upload(&mut self) {
        let Some(id) = self.upload_id.take() else { return };
        let mut delay = std::time::Duration::from_millis(500);
        for attempt in 1..=7 {
            let res = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .upload_id(&id)
                .send()
                .await;
            match res {
                Ok(_) => return,
                Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_upload()) => return,
                Err(e) if attempt == 7 => {
                    tracing::warn!(
                        "could not abort the multipart upload of {}: {}; a bucket lifecycle rule will clean it up",
                        self.key,
                        DisplayErrorContext(&e)
                    );
                }
                Err(_) => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(8));
                }
            }
        }
    }
}

impl Drop for S3Writer {
    fn drop(&mut self) {
        // Dropped mid-upload (cancelled run): abort in the background, best effort.
        if let (false, Some(id)) = (self.done, self.upload_id.take()) {
            let req = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .upload_id(id);
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(async move {
                    let _ = req.send().await;
                });
            }
        }
    }
}
