//! A JSON array streamed into an upload: `[`, then items separated by `,\n`,
//! then `]`. A metadata file is written page by page, never held whole.

use serde_json::Value;

use crate::host::{self, StoreErr, Upload};

/// Streams a JSON array into an upload: `[`, then items separated by `,\n`, then `]`.
pub struct ArrayWriter {
    upload: Upload,
    count: u64,
}

impl ArrayWriter {
    pub async fn create(key: &str) -> Result<ArrayWriter, StoreErr> {
        let mut upload = Upload::create(key, "application/json")?;
        upload.write(b"[").await?;
        Ok(ArrayWriter { upload, count: 0 })
    }

    /// Writes a page in one go: bounded by the page size, never the whole list.
    pub async fn push(&mut self, items: &[Value]) -> Result<(), StoreErr> {
        if items.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for item in items {
            buf.extend_from_slice(if self.count == 0 { b"\n" } else { b",\n" });
            serde_json::to_writer(&mut buf, item)
                .map_err(|e| StoreErr::Stream(format!("cannot encode an item: {e}")))?;
            self.count += 1;
        }
        self.upload.write(&buf).await
    }

    /// Writes one item in pieces (for items too big to hold, like a group with
    /// 50,000 members): `parts` are concatenated verbatim.
    pub async fn begin_item(&mut self) -> Result<(), StoreErr> {
        let sep: &[u8] = if self.count == 0 { b"\n" } else { b",\n" };
        self.count += 1;
        self.upload.write(sep).await
    }

    pub async fn raw(&mut self, bytes: &[u8]) -> Result<(), StoreErr> {
        self.upload.write(bytes).await
    }

    pub async fn finish(mut self) -> Result<(host::ObjectInfo, u64), StoreErr> {
        self.upload.write(b"\n]\n").await?;
        let count = self.count;
        Ok((self.upload.finish().await?, count))
    }
}
